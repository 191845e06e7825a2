//! One live instance of an adapter or transform component: its store, its bindings and
//! the targets (or transformers) it has opened (the calls themselves are in `call.rs`), and the epoch callback that bounds (and, for custom adapters, throttles) the
//! time a call may run.

use std::collections::HashMap;

use wasmtime::component::ResourceAny;
use wasmtime::{Store, UpdateDeadline};

use super::bindings::transform_world::{DispatchTransform, DispatchTransformPre};
use super::bindings::{DispatchAdapter, DispatchAdapterPre};
use super::engine::EPOCH_TICK;
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

/// A component pre-instantiated for one of the two worlds.
pub(super) enum Pre {
    /// An adapter (`dispatch-adapter`).
    Adapter(DispatchAdapterPre<HostState>),
    /// A transform (`dispatch-transform`).
    Transform(DispatchTransformPre<HostState>),
}

impl Pre {
    /// Instantiates the component in `store`.
    pub(super) async fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Exports> {
        Ok(match self {
            Pre::Adapter(pre) => Exports::Adapter(pre.instantiate_async(store).await?),
            Pre::Transform(pre) => Exports::Transform(pre.instantiate_async(store).await?),
        })
    }
}

/// An instance's exports: those of an adapter or of a transform.
pub(super) enum Exports {
    /// An adapter's.
    Adapter(DispatchAdapter),
    /// A transform's.
    Transform(DispatchTransform),
}

impl Exports {
    /// The adapter exports (an error for a transform: a host bug, never a guest's).
    pub(super) fn adapter(&self) -> wasmtime::Result<&DispatchAdapter> {
        match self {
            Exports::Adapter(adapter) => Ok(adapter),
            Exports::Transform(_) => {
                Err(wasmtime::Error::msg("a transform component has no adapter exports"))
            }
        }
    }

    /// The transform exports (an error for an adapter).
    pub(super) fn transform(&self) -> wasmtime::Result<&DispatchTransform> {
        match self {
            Exports::Transform(transform) => Ok(transform),
            Exports::Adapter(_) => Err(wasmtime::Error::msg("an adapter component has no transform exports")),
        }
    }
}

/// An instance and the targets (or transformers) opened in it, by key.
pub(super) struct Instance {
    pub(super) store: Store<HostState>,
    pub(super) exports: Exports,
    pub(super) targets: HashMap<u64, ResourceAny>,
}

/// The epoch callback: each tick of a running call, interrupt it past its time limit, and
/// (for throttled adapters) make it sleep nine ticks per tick run once past the grace.
pub(super) fn guard_call(ctx: wasmtime::StoreContextMut<'_, HostState>) -> wasmtime::Result<UpdateDeadline> {
    let guard = ctx.data().guard;
    let elapsed = guard.started.elapsed();
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
        self.store.data_mut().guard.started = std::time::Instant::now();
        self.store.set_epoch_deadline(1);
        if fuel {
            self.store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
        }
        self.store.data_mut().call = DeliveryContext::default();
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
        let opened = match &self.exports {
            Exports::Adapter(guest) => {
                guest.jido_dispatch_adapter().target().call_open(&mut self.store, target.opts).await?
            }
            Exports::Transform(guest) => {
                guest.jido_dispatch_transform().transformer().call_open(&mut self.store, target.opts).await?
            }
        };
        if let Ok(resource) = opened {
            self.targets.insert(target.key, resource);
        }
        Ok(opened)
    }
}
