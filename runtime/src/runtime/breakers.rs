//! Circuit breakers by destination: every target of one endpoint shares a breaker, and
//! telemetry names it without showing options (which may hold secrets).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::resilience::{Breaker, BreakerConfig};
use crate::target::Target;

/// A breaker and the label telemetry shows for it.
pub(super) type LabelledBreaker = (Arc<str>, Arc<Breaker>);

/// The breakers by destination.
#[derive(Default)]
pub(super) struct Breakers(Mutex<HashMap<String, LabelledBreaker>>);

impl Breakers {
    /// The breaker of `destination`, created with `config` on first use (later targets
    /// naming the same destination share it, whatever their config).
    pub fn for_destination(
        &self,
        destination: &str,
        label: &Arc<str>,
        config: BreakerConfig,
    ) -> Arc<Breaker> {
        let mut breakers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = breakers
            .entry(destination.to_owned())
            .or_insert_with(|| (label.clone(), Arc::new(Breaker::new(config))));
        entry.1.clone()
    }

    /// Every breaker with its label.
    pub fn labelled(&self) -> Vec<LabelledBreaker> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }
}

/// What a breaker protects, and how telemetry names it: the adapter and the origins of
/// the target's `url`/`urls` (so every target of one endpoint shares a breaker), or else the
/// whole target, labelled `adapter#hash` so options (which may hold secrets) never show.
pub(super) fn destination(target: &Target) -> (String, String) {
    let options: serde_json::Value = serde_json::from_str(target.normalised_options()).unwrap_or_default();
    let mut origins: Vec<String> = options
        .get("url")
        .into_iter()
        .chain(options.get("urls").and_then(serde_json::Value::as_array).into_iter().flatten())
        .filter_map(serde_json::Value::as_str)
        .filter_map(|url| reqwest::Url::parse(url).ok())
        .map(|url| url.origin().ascii_serialization())
        .collect();
    let adapter = &target.spec().adapter;
    if origins.is_empty() {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(target.identity().as_bytes());
        return (format!("target:{}", target.identity()), format!("{adapter}#{}", hex::encode(&digest[..6])));
    }
    origins.sort();
    origins.dedup();
    let origins = origins.join(" ");
    (format!("{adapter}|{origins}"), origins)
}
