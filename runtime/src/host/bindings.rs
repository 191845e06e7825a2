//! The host's `bindgen!`s: Rust types and traits for the `dispatch-adapter` world of
//! `wit/`, and for the two transform worlds (`dispatch-transform`, and
//! `dispatch-view-transform`, whose signals stay in the host behind a `view`), which share
//! its `types` and `log` (one `Signal`, one `log` implementation). Every import is async
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

/// The `dispatch-view-transform` world: its exports, async; its `view` import is the
/// synchronous one of [`sync_calls::view_transform_world`] (`host/view.rs`).
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

/// Both worlds with synchronous exports and synchronous `log` and `crypto` imports; the
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

    /// The view-transform world, synchronously; its `view` import (trappable: reading a
    /// view outside the call that lent it ends the call) is the one every linker offers.
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
