//! One live instance of an adapter component: its store, its bindings and the targets it
//! has opened, and the epoch callback that bounds (and, for custom adapters, throttles) the
//! time a call may run.

use std::collections::HashMap;

use wasmtime::component::ResourceAny;
use wasmtime::{Store, UpdateDeadline};

use super::bindings::DispatchAdapter;
use super::bindings::types as wit;
use super::convert::signal_to_wit;
use super::engine::EPOCH_TICK;
use super::limits::{LONG_CALL_GRACE, Limits};
use super::pool::{Answer, Op, TargetRef};
use super::state::HostState;
use crate::adapter::DeliveryContext;

/// An instance and the targets opened in it (by endpoint key).
pub(super) struct Instance {
    pub(super) store: Store<HostState>,
    pub(super) bindings: DispatchAdapter,
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
    /// Runs `op`, with the deadline, clock and fuel set for this call.
    pub(super) async fn run(&mut self, op: Op<'_>, limits: &Limits, fuel: bool) -> wasmtime::Result<Answer> {
        self.store.data_mut().guard.started = std::time::Instant::now();
        self.store.set_epoch_deadline(1);
        if fuel {
            self.store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
        }
        self.store.data_mut().call = DeliveryContext::default();
        self.store.data().stderr.clear();
        match op {
            Op::Validate(opts) => {
                let guest = self.bindings.jido_dispatch_adapter();
                Ok(Answer::Validated(guest.call_validate_opts(&mut self.store, opts).await?))
            }
            Op::Open(target) => Ok(match self.target(target).await? {
                Ok(_) => Answer::Opened,
                Err(message) => Answer::OpenFailed(message),
            }),
            Op::Deliver(target, signal, ctx) => {
                self.store.data_mut().call = ctx.clone();
                let resource = match self.target(target).await? {
                    Ok(resource) => resource,
                    Err(message) => return Ok(Answer::OpenFailed(message)),
                };
                let signal = signal_to_wit(signal);
                let guest = self.bindings.jido_dispatch_adapter().target();
                Ok(Answer::Delivered(guest.call_deliver(&mut self.store, resource, &signal).await?))
            }
            Op::Batch(target, signals, ctx) => {
                self.store.data_mut().call = ctx.clone();
                let resource = match self.target(target).await? {
                    Ok(resource) => resource,
                    Err(message) => return Ok(Answer::OpenFailed(message)),
                };
                let signals: Vec<wit::Signal> = signals.iter().map(signal_to_wit).collect();
                let guest = self.bindings.jido_dispatch_adapter().target();
                Ok(Answer::Batch(guest.call_deliver_batch(&mut self.store, resource, &signals).await?))
            }
            Op::Health(target, ctx) => {
                self.store.data_mut().call = ctx.clone();
                let resource = match self.target(target).await? {
                    Ok(resource) => resource,
                    Err(message) => return Ok(Answer::OpenFailed(message)),
                };
                let guest = self.bindings.jido_dispatch_adapter().target();
                Ok(Answer::Health(guest.call_health_check(&mut self.store, resource).await?))
            }
        }
    }

    /// The target's resource in this instance, opening it on first use.
    async fn target(&mut self, target: TargetRef<'_>) -> wasmtime::Result<Result<ResourceAny, String>> {
        if let Some(resource) = self.targets.get(&target.key) {
            return Ok(Ok(*resource));
        }
        let guest = self.bindings.jido_dispatch_adapter().target();
        let opened = guest.call_open(&mut self.store, target.opts).await?;
        if let Ok(resource) = opened {
            self.targets.insert(target.key, resource);
        }
        Ok(opened)
    }
}
