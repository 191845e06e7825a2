//! A pool of reusable instances of one adapter component.
//!
//! Each call takes an idle instance (or instantiates one from the `InstancePre`), sets the
//! epoch deadline, runs, and returns the instance to the pool. An instance whose call
//! trapped, ran out of time or hit its memory cap is dropped: a trapped instance cannot be
//! entered again, and the next call gets a fresh one. A semaphore caps the instances of
//! the adapter alive at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::{Engine, Store, Trap};

use super::call::Call;
use super::channel::ChannelCtx;
use super::exports::Pre;
use super::failure::HostFailure;
use super::fair::FairPermits;
use super::http::HttpService;
use super::instance::{ByKey, Instance, guard_call};
use super::limits::{Limits, LogBudget};
use super::state::{HostState, Stdio};
use super::tenant::Tenant;
use crate::adapter::DeliveryError;

/// Opened targets an instance keeps before it is recycled.
const MAX_TARGETS_PER_INSTANCE: usize = 4096;

/// Everything an adapter's instances are created with.
#[derive(Debug)]
pub struct InstanceSetup {
    /// The adapter's name (tags logs and errors).
    pub name: Arc<str>,
    /// Resource limits.
    pub limits: Limits,
    /// Where WASI stdout/stderr go.
    pub stdio: Stdio,
    /// The `channel` backend and grants.
    pub channels: ChannelCtx,
    /// HTTP clients and policy.
    pub http: Arc<HttpService>,
    /// Whether the component imports something that can wait in the host (http,
    /// channel), which calls for a wall-clock guard besides the epoch deadline.
    pub waits_on_host: bool,
    /// The adapter's tenant, whose cap on calls in flight this pool shares.
    pub tenant: Option<Arc<Tenant>>,
    /// Whether the engine meters fuel.
    pub fuel: bool,
}

/// Counters of a pool's life, for tests and metrics.
#[derive(Debug, Default)]
pub struct PoolStats {
    /// Instances created.
    pub instantiated: AtomicU64,
    /// Instances dropped after a trap or limit.
    pub discarded: AtomicU64,
    /// Healthy instances retired because their memory grew past three quarters of the limit.
    pub recycled: AtomicU64,
}

/// The instances of one adapter.
pub struct InstancePool {
    name: Arc<str>,
    engine: Engine,
    pre: Pre,
    limits: Limits,
    stdio: Stdio,
    channels: ChannelCtx,
    http: Arc<HttpService>,
    idle: Mutex<Vec<Instance>>,
    permits: FairPermits,
    stats: PoolStats,
    waits_on_host: bool,
    tenant: Option<Arc<Tenant>>,
    fuel: bool,
    log_budget: Arc<LogBudget>,
}

impl std::fmt::Debug for InstancePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePool").field("name", &self.name).field("limits", &self.limits).finish()
    }
}

impl InstancePool {
    /// The world its component was loaded for, e.g. `dispatch-view-transform`.
    pub fn world(&self) -> &'static str {
        self.pre.world()
    }

    /// A pool for the component behind `pre`, its instances made as `setup` says.
    pub(super) fn new(engine: Engine, pre: Pre, setup: InstanceSetup) -> Self {
        let InstanceSetup { name, limits, stdio, channels, http, waits_on_host, tenant, fuel } = setup;
        let permits = FairPermits::new(limits.max_instances.max(1));
        let log_budget = Arc::new(LogBudget::new(limits.log_lines_per_second));
        InstancePool {
            name,
            engine,
            pre,
            limits,
            stdio,
            channels,
            http,
            idle: Mutex::new(Vec::new()),
            permits,
            stats: PoolStats::default(),
            waits_on_host,
            tenant,
            fuel,
            log_budget,
        }
    }

    /// The tenant whose cap this pool shares, if any.
    pub fn tenant(&self) -> Option<&Tenant> {
        self.tenant.as_deref()
    }

    /// The adapter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pool's counters.
    pub fn stats(&self) -> &PoolStats {
        &self.stats
    }

    /// Runs `op` on an instance. A trap or an exceeded limit is a [`DeliveryError`] that
    /// names it; the instance is then replaced.
    ///
    /// Instances are shared fairly between targets (`host/fair.rs`). A delivery to a target
    /// with an http pool first waits for its pool slot, holding no instance meanwhile, then
    /// for an instance; both waits together are bounded by the target's `pool_timeout`.
    pub(super) async fn run<C: Call>(&self, call: C) -> Result<C::Output, DeliveryError> {
        let (target, ctx) = (call.target_key(), call.delivery());
        let _permit = match ctx.and_then(|ctx| ctx.http.as_ref()) {
            Some(http) => {
                let deadline = tokio::time::Instant::now() + http.pool.wait;
                let slot = tokio::time::timeout_at(deadline, http.pool.permits.clone().acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .ok_or_else(|| self.pool_timeout(&http.pool.name))?;
                if let Some(ctx) = ctx {
                    ctx.reserve_http_slot(slot);
                }
                tokio::time::timeout_at(deadline, self.permits.acquire(target))
                    .await
                    .map_err(|_| self.pool_timeout(&http.pool.name))?
            }
            None => self.permits.acquire(target).await,
        };
        let _tenant_permit =
            match &self.tenant {
                Some(tenant) => Some(tenant.acquire().await.ok_or_else(|| {
                    HostFailure::AdapterClosed.error("the tenant's adapters were unloaded")
                })?),
                None => None,
            };
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut instance = match idle {
            Some(instance) => instance,
            None => self.instantiate().await?,
        };
        // The epoch deadline bounds guest CPU time. Only a component that can wait inside
        // the host (http, channel) also needs a wall-clock guard; the timer costs ~0.4 µs
        // a call, so pure-compute components go without it.
        let run = async {
            instance.begin(&self.limits, self.fuel)?;
            call.call(&mut instance).await
        };
        let outcome = if self.waits_on_host {
            tokio::time::timeout(self.limits.call_timeout, run).await
        } else {
            Ok(run.await)
        };
        if let Some(ctx) = ctx {
            // A slot the call did not use goes back to its pool now.
            drop(ctx.take_http_slot());
        }
        match outcome {
            Ok(Ok(answer)) => {
                // An instance whose memory has grown past three quarters of its limit (some
                // language runtimes never give memory back) is retired before a delivery
                // runs out, rather than kept until one fails with `memory_limit`.
                let grown = instance.store.data().limiter.used() > self.limits.memory_bytes / 4 * 3;
                if grown {
                    self.stats.recycled.fetch_add(1, Ordering::Relaxed);
                } else if instance.targets.len() <= MAX_TARGETS_PER_INSTANCE {
                    self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(instance);
                }
                Ok(answer)
            }
            Ok(Err(error)) => {
                self.stats.discarded.fetch_add(1, Ordering::Relaxed);
                let dropped = instance.store.data().log.dropped();
                if dropped > 0 {
                    return Err(self.log_limit(dropped));
                }
                let said = instance.store.data().stderr.text();
                Err(self.classify(&error, instance.store.data().limiter.hit()).with_stderr(said))
            }
            Err(_elapsed) => {
                self.stats.discarded.fetch_add(1, Ordering::Relaxed);
                Err(self.time_limit())
            }
        }
    }

    /// Instantiates idle instances until `count` are ready (at most `max_instances`),
    /// so the first deliveries do not pay for instantiation. Returns how many are idle.
    pub async fn prewarm(&self, count: usize) -> Result<usize, DeliveryError> {
        let wanted = count.min(self.limits.max_instances.max(1));
        loop {
            let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).len();
            if idle >= wanted {
                return Ok(idle);
            }
            let instance = self.instantiate().await?;
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(instance);
        }
    }

    async fn instantiate(&self) -> Result<Instance, DeliveryError> {
        let state = HostState::new(
            self.name.clone(),
            &self.stdio,
            &self.limits,
            self.channels.clone(),
            self.http.clone(),
            self.log_budget.clone(),
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_callback(guard_call);
        store.set_epoch_deadline(1);
        if self.fuel {
            store.set_fuel(self.limits.fuel.unwrap_or(u64::MAX)).map_err(|e| self.classify(&e, false))?;
        }
        let exports = match self.pre.instantiate(&mut store).await {
            Ok(exports) => exports,
            Err(error) => return Err(self.classify(&error, store.data().limiter.hit())),
        };
        self.stats.instantiated.fetch_add(1, Ordering::Relaxed);
        Ok(Instance { store, exports, targets: ByKey::default() })
    }

    fn classify(&self, error: &wasmtime::Error, memory_hit: bool) -> DeliveryError {
        let name = self.who();
        if memory_hit {
            return HostFailure::MemoryLimit.error(format!(
                "{name} exceeded its memory limit of {} KiB",
                self.limits.memory_bytes / 1024
            ));
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => self.time_limit(),
            Some(Trap::OutOfFuel) => HostFailure::FuelLimit
                .error(format!("{name} ran out of fuel ({} units per call)", self.limits.fuel.unwrap_or(0))),
            Some(Trap::StackOverflow) => {
                HostFailure::StackLimit.error(format!("{name} exhausted its call stack (runaway recursion)"))
            }
            Some(trap) => HostFailure::AdapterTrap.error(format!("{name} trapped: {trap}")),
            // The cause, not the wasm backtrace wasmtime wraps it in.
            None => HostFailure::AdapterError.error(format!("{name} failed: {}", error.root_cause())),
        }
    }

    /// How errors name the component: "adapter `name`" or "transform `name`".
    fn who(&self) -> String {
        format!("{} `{}`", self.pre.kind(), self.name)
    }

    fn pool_timeout(&self, pool: &str) -> DeliveryError {
        HostFailure::PoolTimeout.error(format!(
            "{}: no connection-pool slot of `{pool}` and instance free within pool_timeout",
            self.who()
        ))
    }

    fn log_limit(&self, dropped: u64) -> DeliveryError {
        HostFailure::LogLimit.error(format!(
            "{} exceeded its log limit of {} records per second; the call was stopped \
                 ({dropped} record dropped)",
            self.who(),
            self.limits.log_lines_per_second
        ))
    }

    fn time_limit(&self) -> DeliveryError {
        HostFailure::TimeLimit.error(format!(
            "{} exceeded its time limit of {} ms per call",
            self.who(),
            self.limits.call_timeout.as_millis()
        ))
    }
}

/// Shared handle to a pool.
pub type SharedPool = Arc<InstancePool>;
