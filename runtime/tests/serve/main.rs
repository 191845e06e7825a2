//! End-to-end tests of `jido-dispatch serve`: the real binary, a TOML config, signals in
//! over HTTP, deliveries observed at real local receivers.

#[path = "../../../tests/nats.rs"]
mod nats;
#[path = "../../../tests/nats_cluster.rs"]
mod nats_cluster;
#[path = "../../../tests/receiver.rs"]
#[allow(dead_code, reason = "shared with the tests crate; not every helper is used here")]
mod receiver;
mod support;
#[path = "../../../tests/verify.rs"]
#[allow(dead_code, reason = "shared with the tests crate")]
mod verify;

mod admin;
mod bad_input;
mod cluster;
mod console;
mod crash;
mod delivery;
mod embedded;
mod filters;
mod history;
mod jetstream;
mod jetstream_pause;
mod jobs;
mod lanes;
mod otlp;
mod pause;
mod reload;
mod sdk;
mod webdriver;

/// The `[server]` and `[egress]` every test uses: tokens, and loopback receivers allowed.
pub const SERVER: &str = r#"
[server]
listen = "127.0.0.1:0"
admin_token = "admin-secret"
shutdown_timeout = 2000

[egress]
allow_private = ["127.0.0.0/8"]
"#;
