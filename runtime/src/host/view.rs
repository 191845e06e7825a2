//! The `view` import: signals lent to a component for one call (`borrow<signal-view>`)
//! and read on demand, so that a transform or an adapter that does not look at a signal
//! (a no-op, a filter on the type, an adapter that posts the host's JSON encoding) never
//! receives a copy of it.
//!
//! There is one lent signal at a time per instance ([`LentSignal`] in the store's state),
//! set by the call that lends it (`host/lowered.rs`: a view-adapter's `deliver`, a
//! view-transform's `transform`) and cleared when that call returns. The handle's
//! representation carries nothing; a read with nothing lent (which the component model's
//! borrow rules already prevent) traps.

use std::ptr::NonNull;

use wasmtime::component::{Linker, Resource, ResourceType};

use super::bindings::SignalView;
use super::lowered::SignalRef;
use super::state::HostState;
use crate::signal::Signal;

/// The interface as components import it.
const VIEW: &str = "jido:dispatch/view@0.1.0";

/// Adds `view` to `linker`. Its functions never wait, so they serve async and synchronous
/// calls alike. They are defined by hand rather than through `bindgen!`'s host traits so
/// that `get` lowers the lent signal straight from the host's `Signal` ([`SignalRef`])
/// instead of building an owned copy first.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    let mut view = linker.instance(VIEW)?;
    // Only borrows are ever handed out: dropping a handle frees nothing.
    view.resource("signal-view", ResourceType::host::<SignalView>(), |_, _| Ok(()))?;
    view.func_wrap("[method]signal-view.get", |store, (_,): (Resource<SignalView>,)| {
        let signal: *const Signal = store.data().lent.signal()?;
        // SAFETY: the lent signal outlives the call that lent it, and this import runs
        // inside that call; wasmtime lowers the returned record into the guest before the
        // import returns, so the reference is never used after the loan ends. `'static`
        // only stands in for "the rest of this import".
        let signal: &'static Signal = unsafe { &*signal };
        Ok((SignalRef::new(signal),))
    })?;
    view.func_wrap("[method]signal-view.id", |store, (_,): (Resource<SignalView>,)| {
        Ok((store.data().lent.signal()?.id.clone(),))
    })?;
    view.func_wrap("[method]signal-view.type", |store, (_,): (Resource<SignalView>,)| {
        Ok((store.data().lent.signal()?.ty.clone(),))
    })?;
    view.func_wrap("[method]signal-view.to-json", |store, (_,): (Resource<SignalView>,)| {
        Ok((store.data().lent.signal()?.to_json(),))
    })?;
    Ok(())
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
            // SAFETY: set by `lend` from a `&Signal` that outlives the call in progress (the
            // only time guest code, and so this import, runs), and cleared by `end` when
            // that call returns.
            Some(pointer) => Ok(unsafe { pointer.as_ref() }),
            None => Err(wasmtime::Error::msg("a signal-view was read outside the call that lent it")),
        }
    }
}
