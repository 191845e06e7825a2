//! A target's http grant: the origins it may reach and the pool its requests use,
//! resolved once when the target opens.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::host::HttpGrant;
use crate::outbound::{HttpService, HttpTarget, OriginPattern, PoolSpec};
use crate::target::TargetSpec;

/// `pool_timeout` when a target gives none.
pub const DEFAULT_POOL_TIMEOUT: Duration = Duration::from_secs(5);

/// The target's http grant, or `None` when its adapter has no http access.
pub fn resolve(
    grant: &HttpGrant,
    spec: &TargetSpec,
    normalised: &str,
    identity: &str,
    service: &HttpService,
) -> Result<Option<Arc<HttpTarget>>, String> {
    // Several destinations: one delivery may send several requests, so its retries keep a
    // memo of the answers that were final (webhook `urls`).
    let (origins, several) = match grant {
        HttpGrant::Nothing => return Ok(None),
        HttpGrant::Origins(origins) => (origins.clone(), origins.len() > 1),
        HttpGrant::FromOptions => origins_from_options(normalised)?,
    };
    if origins.is_empty() {
        return Ok(None);
    }
    let pool = service.pool(&pool_spec(spec)?, identity)?;
    Ok(Some(Arc::new(HttpTarget::new(origins, pool, several))))
}

/// Exact origins of the `url` / `urls` options, and whether there are several URLs.
fn origins_from_options(normalised: &str) -> Result<(Vec<OriginPattern>, bool), String> {
    let options: Value = serde_json::from_str(normalised).map_err(|e| format!("normalised options: {e}"))?;
    let mut urls: Vec<&str> = Vec::new();
    if let Some(url) = options.get("url").and_then(Value::as_str) {
        urls.push(url);
    }
    if let Some(list) = options.get("urls").and_then(Value::as_array) {
        urls.extend(list.iter().filter_map(Value::as_str));
    }
    let several = urls.len() > 1;
    let origins = urls
        .into_iter()
        .map(|text| {
            let url = reqwest::Url::parse(text).map_err(|e| format!("url {text:?}: {e}"))?;
            OriginPattern::of_url(&url).ok_or_else(|| format!("url {text:?} has no host"))
        })
        .collect::<Result<_, _>>()?;
    Ok((origins, several))
}

/// `pool`, `pool_size` and `pool_timeout` from the host keys, checked.
pub fn pool_spec(spec: &TargetSpec) -> Result<PoolSpec, String> {
    let name = match spec.host.get("pool") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
        Some(other) => return Err(format!("pool: expected a non-empty pool name, got {other}")),
    };
    let size = match spec.host.get("pool_size") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(n @ 1..=10_000) => Some(n as usize),
            _ => return Err(format!("pool_size: expected an integer 1..=10000, got {value}")),
        },
    };
    let timeout = match spec.host.get("pool_timeout") {
        None | Some(Value::Null) => DEFAULT_POOL_TIMEOUT,
        Some(value) => match value.as_u64() {
            Some(ms @ 1..=600_000) => Duration::from_millis(ms),
            _ => return Err(format!("pool_timeout: expected milliseconds 1..=600000, got {value}")),
        },
    };
    Ok(PoolSpec { name, size, timeout })
}
