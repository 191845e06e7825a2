//! A native adapter whose deliveries fail as scripted, recording the (tokio) instant of
//! every attempt, for checking retry schedules on a paused clock. Options:
//! `{"name": "x", "fail": 2, "permanent": false, "retry_after_ms": 700, "hold_ms": 0}`: the first
//! `fail` attempts to target `x` fail (retryable unless `permanent`), later ones succeed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jido_dispatch::adapter::{
    Adapter, BoxFuture, DeliveryContext, DeliveryError, Endpoint, Failure, OptionsError,
};
use jido_dispatch::signal::Signal;
use tokio::time::Instant;

/// The scripted adapter; clones share their records.
#[derive(Clone, Default)]
pub struct Scripted {
    attempts: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripted").finish_non_exhaustive()
    }
}

impl Scripted {
    /// Instants of the attempts at target `name`.
    pub fn attempts(&self, name: &str) -> Vec<Instant> {
        self.attempts.lock().unwrap_or_else(PoisonError::into_inner).get(name).cloned().unwrap_or_default()
    }

    /// The waits between consecutive attempts at `name`.
    pub fn gaps(&self, name: &str) -> Vec<Duration> {
        self.attempts(name).windows(2).map(|w| w[1] - w[0]).collect()
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    name: String,
    #[serde(default)]
    fail: usize,
    #[serde(default)]
    permanent: bool,
    retry_after_ms: Option<u64>,
    /// Wait this long (tokio time) before answering.
    #[serde(default)]
    hold_ms: u64,
}

impl Adapter for Scripted {
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>> {
        Box::pin(async move { crate::test_options::<Options>("scripted", opts).map(|_| opts.to_owned()) })
    }

    fn open(&self, opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>> {
        Box::pin(async move {
            let options: Options = crate::test_options("scripted", &opts)?;
            Ok(Arc::new(ScriptedEndpoint { attempts: self.attempts.clone(), options }) as Arc<dyn Endpoint>)
        })
    }
}

struct ScriptedEndpoint {
    attempts: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    options: Options,
}

impl Endpoint for ScriptedEndpoint {
    fn deliver<'a>(
        &'a self,
        _signal: &'a Signal,
        _ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let attempt = {
                let mut map = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
                let list = map.entry(self.options.name.clone()).or_default();
                list.push(Instant::now());
                list.len()
            };
            if self.options.hold_ms > 0 {
                tokio::time::sleep(Duration::from_millis(self.options.hold_ms)).await;
            }
            if attempt > self.options.fail {
                return Ok(());
            }
            let failure = Failure {
                message: format!("scripted failure {attempt}"),
                code: Some("scripted".to_owned()),
                retry_after: self.options.retry_after_ms.map(Duration::from_millis),
            };
            Err(if self.options.permanent {
                DeliveryError::Permanent(failure)
            } else {
                DeliveryError::Retryable(failure)
            })
        })
    }
}
