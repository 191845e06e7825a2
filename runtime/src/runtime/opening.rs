//! Opening a target: its adapter validates and opens the options, the host keys are parsed
//! over the adapter's profile, and the target gets its transform, breaker, rate limiter and
//! HTTP pool.

use std::sync::Arc;

use super::breakers::destination;
use super::{Runtime, Target, TargetOpenError};
use crate::resilience::RateLimiter;
use crate::target::{TargetSettings, TargetSpec};

impl Runtime {
    /// Validates a target's options through its adapter and opens it (and its `on_pause`
    /// target, which may not have one of its own).
    pub async fn open_target(&self, spec: &TargetSpec) -> Result<Target, TargetOpenError> {
        let mut target = self.open_one(spec).await?;
        if let Some(nested) = spec.host.get("on_pause") {
            let nested = TargetSpec::from_value(nested.clone())
                .map_err(|e| TargetOpenError::HostKey(format!("on_pause: {e}")))?;
            if nested.host.contains_key("on_pause") {
                return Err(TargetOpenError::HostKey(
                    "on_pause: its target may not have an on_pause".to_owned(),
                ));
            }
            let opened = Box::pin(self.open_one(&nested))
                .await
                .map_err(|e| TargetOpenError::HostKey(format!("on_pause: {e}")))?;
            target.on_pause = Some(Arc::new(opened));
        }
        Ok(target)
    }

    async fn open_one(&self, spec: &TargetSpec) -> Result<Target, TargetOpenError> {
        let resolved = self.inner.adapters.resolve(&self.inner.host, &spec.adapter)?;
        if let Some(key) = spec.unsupported_key() {
            return Err(TargetOpenError::HostKey(format!(
                "`{key}` is not supported yet by this version of jido-dispatch; remove it rather than \
                 have it ignored"
            )));
        }
        crate::target_http::pool_spec(spec).map_err(TargetOpenError::HostKey)?;
        let settings =
            TargetSettings::parse(&resolved.profile.host_keys(spec)).map_err(TargetOpenError::HostKey)?;
        let transform = self.open_transform(spec).await?;
        let adapter = resolved.adapter;
        let normalised = adapter.validate_opts(&resolved.profile.options_json(spec)).await?;
        let endpoint = adapter.open(normalised.clone()).await?;
        let mut target = Target {
            spec: Arc::new(spec.clone()),
            normalised: Arc::from(normalised),
            endpoint,
            http: None,
            rate: settings.lane.rate_limit.map(|limit| Arc::new(RateLimiter::new(limit))),
            breaker: None,
            settings: Arc::new(settings),
            record: Arc::default(),
            telemetry: self.inner.telemetry.clone(),
            label: Arc::from(""),
            adapter: Arc::from(spec.adapter.as_str()),
            lane: None,
            on_pause: None,
            secrets: crate::target::secret_values(&spec.options, &resolved.profile.secret_options).into(),
            transform,
        };
        let (key, label) = destination(&target);
        target.label = Arc::from(label);
        if let Some(config) = target.settings.breaker {
            target.breaker = Some(self.inner.breakers.for_destination(&key, &target.label, config));
        }
        target.http = crate::target_http::resolve(
            &resolved.grant,
            spec,
            &target.normalised,
            &target.identity(),
            self.inner.host.http(),
        )
        .map_err(TargetOpenError::HostKey)?;
        Ok(target)
    }
}
