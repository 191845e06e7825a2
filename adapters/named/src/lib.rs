//! The `named` adapter: delivers each signal to a mailbox registered under a name: a local
//! name, `{ global = "name" }` (any node of the cluster) or `{ via = ["registry", "key"] }`
//! (an embedder-provided registry), through the host's `channel.send`.

use jido_dispatch_sdk::bindings::jido::dispatch::channel::Address;
use jido_dispatch_sdk::channel;
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal};
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn wait_for_ack() -> bool {
    true
}

/// `named` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// `"name"`, `{ "global": "name" }` or `{ "via": ["registry", "key"] }` (required).
    pub name: Value,
    /// Wait for the receiver's ack (`true`, the default), or return once the signal is in
    /// the mailbox (`false`; a target's `async = true` implies it, see `profile.toml`).
    #[serde(default = "wait_for_ack")]
    pub await_ack: bool,
    /// How long a sync delivery waits for the ack, in milliseconds.
    #[serde(default = "jido_dispatch_sdk::channel::default_timeout")]
    pub timeout: u32,
}

const SHAPES: &str = r#"expected "name", {"global": "name"} or {"via": ["registry", "key"]}"#;

fn text(value: &Value, place: &str) -> Result<String, String> {
    match value.as_str() {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        Some(_) => Err(format!("{place}: must not be empty")),
        None => Err(format!("{place}: expected a string, got {value}")),
    }
}

/// Parses the `name` option.
pub fn address(name: &Value) -> Result<(Address, String), String> {
    match name {
        Value::String(_) => {
            let local = text(name, "name")?;
            Ok((Address::Named(local.clone()), format!("process `{local}`")))
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("global") => {
            let global = text(&map["global"], "name.global")?;
            Ok((Address::Global(global.clone()), format!("global process `{global}`")))
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("via") => match &map["via"] {
            Value::Array(parts) if parts.len() == 2 => {
                let registry = text(&parts[0], "name.via[0]")?;
                let key = text(&parts[1], "name.via[1]")?;
                let who = format!("process `{key}` of registry `{registry}`");
                Ok((Address::Via((registry, key)), who))
            }
            other => Err(format!(r#"name.via: expected ["registry", "key"], got {other}"#)),
        },
        other => Err(format!("name: {SHAPES}, got {other}")),
    }
}

/// The opened `named` target.
#[derive(Debug)]
pub struct NamedTarget {
    to: Address,
    who: String,
    opts: Options,
}

impl Adapter for NamedTarget {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        address(&opts.name)?;
        channel::check_timeout(opts.timeout)
    }

    fn open(opts: Options) -> Result<Self, String> {
        let (to, who) = address(&opts.name)?;
        Ok(NamedTarget { to, who, opts })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        channel::send(&self.to, &self.who, signal, self.opts.await_ack, self.opts.timeout)
    }
}

jido_dispatch_sdk::export_adapter!(NamedTarget);
