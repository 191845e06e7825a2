//! The one `bindgen!` of the host: Rust types and traits for the `dispatch-adapter` world
//! of `wit/`. Every import is async (host imports wait on the network and on channels).

wasmtime::component::bindgen!({
    world: "dispatch-adapter",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
});

pub use jido::dispatch::{channel, crypto, http, log, types};
