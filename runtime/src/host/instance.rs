//! One live instance of an adapter or transform component: its store, its bindings and
//! the targets (or transformers) it has opened (the calls themselves are in `call.rs`), and the epoch callback that bounds (and, for custom adapters, throttles) the
//! time a call may run.

use std::collections::HashMap;

use wasmtime::component::ResourceAny;
use wasmtime::{Store, UpdateDeadline};

use super::engine::EPOCH_TICK;
use super::exports::Exports;
use super::limits::{LONG_CALL_GRACE, Limits};
use super::state::HostState;
use crate::adapter::DeliveryContext;

/// A target as the pool sees it: a process-unique key and its normalised options.
#[derive(Debug, Clone, Copy)]
pub struct TargetRef<'a> {
    /// Unique per opened endpoint.
    pub key: u64,
    /// Normalised options passed to `target.open`.
    pub opts: &'a str,
}

/// A map by target key. The keys are the host's own counters, never a user's or a guest's
/// value, so a fixed fast hash is safe; SipHash showed in per-call profiles.
pub(super) type ByKey<V> = HashMap<u64, V, foldhash::fast::FixedState>;

/// An instance and the targets (or transformers) opened in it, by key.
pub(super) struct Instance {
    pub(super) store: Store<HostState>,
    pub(super) exports: Exports,
    pub(super) targets: ByKey<ResourceAny>,
}

/// The epoch callback: each tick of a running call, interrupt it past its time limit, and
/// (for throttled adapters) make it sleep nine ticks per tick run once past the grace.
pub(super) fn guard_call(
    mut ctx: wasmtime::StoreContextMut<'_, HostState>,
) -> wasmtime::Result<UpdateDeadline> {
    let now = std::time::Instant::now();
    let guard = &mut ctx.data_mut().guard;
    let elapsed = now.duration_since(*guard.started.get_or_insert(now));
    let guard = *guard;
    if elapsed >= guard.timeout {
        return Ok(UpdateDeadline::Interrupt);
    }
    if guard.throttle && elapsed >= LONG_CALL_GRACE {
        return Ok(UpdateDeadline::YieldCustom(1, Box::pin(tokio::time::sleep(EPOCH_TICK * 9))));
    }
    Ok(UpdateDeadline::Continue(1))
}

impl Instance {
    /// Readies the instance for a call: its deadline, clock and fuel, and no delivery
    /// context left from the last call.
    pub(super) fn begin(&mut self, limits: &Limits, fuel: bool) -> wasmtime::Result<()> {
        self.store.data_mut().guard.started = None;
        self.store.set_epoch_deadline(1);
        if fuel {
            self.store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
        }
        self.store.data_mut().call = DeliveryContext::default();
        self.store.data_mut().lent.end();
        self.store.data().stderr.clear();
        Ok(())
    }

    /// The target's (or transformer's) resource in this instance, opening it on first use.
    pub(super) async fn target(
        &mut self,
        target: TargetRef<'_>,
    ) -> wasmtime::Result<Result<ResourceAny, String>> {
        if let Some(resource) = self.targets.get(&target.key) {
            return Ok(Ok(*resource));
        }
        let opened = self.exports.open(&mut self.store, target.opts).await?;
        if let Ok(resource) = opened {
            self.targets.insert(target.key, resource);
        }
        Ok(opened)
    }
}
