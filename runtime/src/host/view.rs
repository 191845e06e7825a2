//! The `view` import: a signal lent to a component for one call (`borrow<signal-view>`)
//! and read on demand, so that a transform that does not look at the signal (a no-op, a
//! filter on the type) never receives a copy of it.
//!
//! There is one lent signal at a time per instance: [`LentSignal`] in the store's state,
//! set by the call that lends it (`host/lowered.rs`) and cleared when that call returns.
//! The handle's representation carries nothing; every method reads the lent signal, and a
//! read with none lent (which the component model's borrow rules already prevent) traps.

use std::ptr::NonNull;

use wasmtime::component::{HasSelf, Linker, Resource};

use super::bindings::sync_calls::view_transform_world::jido::dispatch::view::{self, Host, HostSignalView};
use super::bindings::{SignalView, types as wit};
use super::convert::signal_to_wit;
use super::state::HostState;
use crate::signal::Signal;

/// Adds `view` to `linker` (it is synchronous, so it serves async and synchronous calls).
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    view::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

/// The handle lent for the running call's signal.
pub(super) fn lent_handle() -> Resource<SignalView> {
    Resource::new_borrow(0)
}

/// The signal lent to the running call, if any: a `&Signal` that the store cannot name
/// with a lifetime.
#[derive(Debug, Default)]
pub struct LentSignal(Option<NonNull<Signal>>);

// SAFETY: a `LentSignal` is a shared reference to a `Signal`, which is `Sync`; it is sent
// between threads only as `&Signal` could be.
unsafe impl Send for LentSignal {}

impl LentSignal {
    /// Lends `signal` until [`end`](Self::end). The lender must call `end` before `signal`
    /// goes out of scope, or drop the store: `host/lowered.rs` does the first when the call
    /// returns, and an instance whose call did not return is never used again.
    pub(super) fn lend(&mut self, signal: &Signal) {
        self.0 = Some(NonNull::from(signal));
    }

    /// Ends the loan.
    pub(super) fn end(&mut self) {
        self.0 = None;
    }

    fn signal(&self) -> wasmtime::Result<&Signal> {
        match self.0 {
            // SAFETY: set by `lend` from a `&Signal` that outlives the call in progress
            // (the only time guest code, and so this import, runs), and cleared by `end`
            // when that call returns.
            Some(pointer) => Ok(unsafe { pointer.as_ref() }),
            None => Err(wasmtime::Error::msg("a signal-view was read outside the call that lent it")),
        }
    }
}

impl Host for HostState {}

impl HostSignalView for HostState {
    fn get(&mut self, _: Resource<SignalView>) -> wasmtime::Result<wit::Signal> {
        self.lent.signal().map(signal_to_wit)
    }

    fn type_(&mut self, _: Resource<SignalView>) -> wasmtime::Result<String> {
        self.lent.signal().map(|signal| signal.ty.clone())
    }

    fn to_json(&mut self, _: Resource<SignalView>) -> wasmtime::Result<String> {
        self.lent.signal().map(Signal::to_json)
    }

    fn drop(&mut self, _: Resource<SignalView>) -> wasmtime::Result<()> {
        // Only borrows are ever handed out: there is nothing to free.
        Ok(())
    }
}
