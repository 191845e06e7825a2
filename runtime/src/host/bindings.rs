//! The host's `bindgen!`s: Rust types and traits for the `dispatch-adapter` world of
//! `wit/`, and for the worlds that share its imports: `dispatch-view-adapter` (signals stay
//! in the host behind a `view`), and the two transform worlds (`dispatch-transform`, and
//! `dispatch-view-transform`), which share its `types` and `log` (one `Signal`, one `log`
//! implementation). Every import is async
//! (host imports wait on the network and on channels) but `view`, which never waits; `log`
//! is also trappable, so a log flood ends the call.
//!
//! [`sync_calls`] binds the same worlds a second time with synchronous exports and
//! synchronous `log` and `crypto`, for components that cannot wait in the host (see
//! `host/sync_io.rs`): a synchronous call runs on the caller's stack, without the fiber an
//! async call needs.

wasmtime::component::bindgen!({
    world: "dispatch-adapter",
    path: "../wit",
    // `log` may trap: a component over its log budget is stopped there and then.
    imports: { "jido:dispatch/log.log": async | trappable, default: async },
    exports: { default: async },
});

pub use jido::dispatch::{channel, crypto, http, log, types};

/// The host type behind `view.signal-view` handles (`host/view.rs` lends them); its
/// handles' representation carries nothing.
pub struct SignalView;

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

/// The `dispatch-view-transform` world: its exports, async; its `view` import's types are
/// those of [`sync_calls::view_transform_world`] (the linker's `view` is `host/view.rs`).
pub mod view_transform_world {
    wasmtime::component::bindgen!({
        world: "dispatch-view-transform",
        path: "../wit",
        imports: { default: async },
        exports: { default: async },
        with: {
            "jido:dispatch/types": super::jido::dispatch::types,
            "jido:dispatch/log": super::jido::dispatch::log,
            "jido:dispatch/view": super::sync_calls::view_transform_world::jido::dispatch::view,
        },
    });
}

/// The `dispatch-view-adapter` world: its exports, async; its imports are the adapter
/// world's, and `view`'s types those of [`sync_calls::view_transform_world`].
pub mod view_adapter_world {
    wasmtime::component::bindgen!({
        world: "dispatch-view-adapter",
        path: "../wit",
        imports: { default: async },
        exports: { default: async },
        with: {
            "jido:dispatch/types": super::jido::dispatch::types,
            "jido:dispatch/log": super::jido::dispatch::log,
            "jido:dispatch/http": super::jido::dispatch::http,
            "jido:dispatch/crypto": super::jido::dispatch::crypto,
            "jido:dispatch/channel": super::jido::dispatch::channel,
            "jido:dispatch/view": super::sync_calls::view_transform_world::jido::dispatch::view,
        },
    });
}

/// Every world with synchronous exports and synchronous `log` and `crypto` imports; the
/// types are those of the async bindings, so a `Signal` is one type whichever way it is
/// called. (Its `http` and `channel` are never linked: a component importing them is
/// called async.)
pub mod sync_calls {
    wasmtime::component::bindgen!({
        world: "dispatch-adapter",
        path: "../wit",
        imports: { "jido:dispatch/log.log": trappable },
        with: {
            "jido:dispatch/types": super::jido::dispatch::types,
        },
    });

    /// The transform world, synchronously.
    pub mod transform_world {
        wasmtime::component::bindgen!({
            world: "dispatch-transform",
            path: "../wit",
            with: {
                "jido:dispatch/types": super::super::jido::dispatch::types,
                "jido:dispatch/log": super::jido::dispatch::log,
            },
        });
    }

    /// The view-adapter world, synchronously.
    pub mod view_adapter_world {
        wasmtime::component::bindgen!({
            world: "dispatch-view-adapter",
            path: "../wit",
            with: {
                "jido:dispatch/types": super::super::jido::dispatch::types,
                "jido:dispatch/log": super::jido::dispatch::log,
                "jido:dispatch/http": super::jido::dispatch::http,
                "jido:dispatch/crypto": super::jido::dispatch::crypto,
                "jido:dispatch/channel": super::jido::dispatch::channel,
                "jido:dispatch/view": super::view_transform_world::jido::dispatch::view,
            },
        });
    }

    /// The view-transform world, synchronously. Its `view` import is bound here only for
    /// its types: `host/view.rs` defines the functions every linker offers by hand, so that
    /// `get` lowers from borrowed data.
    pub mod view_transform_world {
        wasmtime::component::bindgen!({
            world: "dispatch-view-transform",
            path: "../wit",
            imports: { "jido:dispatch/view": trappable },
            with: {
                "jido:dispatch/types": super::super::jido::dispatch::types,
                "jido:dispatch/log": super::jido::dispatch::log,
                "jido:dispatch/view.signal-view": super::super::SignalView,
            },
        });
    }
}
