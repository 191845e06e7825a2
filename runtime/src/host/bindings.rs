//! The one `bindgen!` of the host: Rust types and traits for the `dispatch-adapter` world
//! of `wit/`. Every import is async (host imports wait on the network and on channels);
//! `log` is also trappable, so a log flood ends the call.

wasmtime::component::bindgen!({
    world: "dispatch-adapter",
    path: "../wit",
    // `log` may trap: a component over its log budget is stopped there and then.
    imports: { "jido:dispatch/log.log": async | trappable, default: async },
    exports: { default: async },
});

pub use jido::dispatch::{channel, crypto, http, log, types};
