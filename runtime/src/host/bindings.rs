//! The host's `bindgen!`s: Rust types and traits for the `dispatch-adapter` world of
//! `wit/`, and for the `dispatch-transform` world, which shares its `types` and `log` (one
//! `Signal`, one `log` implementation). Every import is async (host imports wait on the
//! network and on channels); `log` is also trappable, so a log flood ends the call.

wasmtime::component::bindgen!({
    world: "dispatch-adapter",
    path: "../wit",
    // `log` may trap: a component over its log budget is stopped there and then.
    imports: { "jido:dispatch/log.log": async | trappable, default: async },
    exports: { default: async },
});

pub use jido::dispatch::{channel, crypto, http, log, types};

/// The `dispatch-transform` world: exports only (its imports are the adapter world's).
pub mod transform_world {
    wasmtime::component::bindgen!({
        world: "dispatch-transform",
        path: "../wit",
        imports: { default: async },
        exports: { default: async },
        with: {
            "jido:dispatch/types": super::jido::dispatch::types,
            "jido:dispatch/log": super::jido::dispatch::log,
        },
    });
}
