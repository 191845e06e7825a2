//! HTTP clients and named pools: one reqwest client per pool, a DNS resolver that enforces
//! the address policy, and a semaphore per pool for `pool_size` / `pool_timeout`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::Semaphore;

use super::egress::{AddressPolicy, OriginPattern};

/// Runtime-wide HTTP settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Special address ranges that may be reached.
    pub address_policy: AddressPolicy,
    /// Largest request body a component may send.
    pub max_request_bytes: usize,
    /// Largest response body handed back to a component.
    pub max_response_bytes: usize,
    /// Request timeout when the component gives none.
    pub default_timeout: Duration,
    /// Longest request timeout a component may ask for.
    pub max_timeout: Duration,
    /// PEM certificates trusted besides the bundled web PKI roots (a private CA).
    pub extra_root_certificates: Vec<Vec<u8>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            address_policy: AddressPolicy::default(),
            max_request_bytes: 10 << 20,
            max_response_bytes: 1 << 20,
            default_timeout: Duration::from_secs(5),
            max_timeout: Duration::from_secs(60),
            extra_root_certificates: Vec::new(),
        }
    }
}

/// A refusal by the address policy, found again in reqwest's error chain.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct EgressDenied(pub String);

/// Resolves names and keeps only the addresses the policy allows, so that the address
/// checked is the address connected to.
#[derive(Debug, Clone)]
struct PolicyResolver {
    policy: AddressPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(reason) => {
                        refused = Some(reason);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let reason = refused.unwrap_or_else(|| "no addresses".to_owned());
                let error: Box<dyn std::error::Error + Send + Sync> =
                    Box::new(EgressDenied(format!("{host} resolves to a refused address: {reason}")));
                return Err(error);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A named connection pool: its client and its concurrency limit.
#[derive(Debug)]
pub struct Pool {
    /// The pool's name.
    pub name: String,
    /// The client (its own connections).
    pub client: reqwest::Client,
    /// Requests in flight at once (`pool_size`).
    pub permits: Arc<Semaphore>,
    /// Longest wait for a permit (`pool_timeout`).
    pub wait: Duration,
}

/// Pool settings from a target's host keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// `pool`: the shared pool's name (`None`: the default pool).
    pub name: Option<String>,
    /// `pool_size`: concurrent requests (`None`: unbounded).
    pub size: Option<usize>,
    /// `pool_timeout`: wait for a slot (default 5000 ms).
    pub timeout: Duration,
}

/// What a target may do through the `http` import.
#[derive(Debug)]
pub struct HttpTarget {
    /// Origins it may reach.
    pub origins: Vec<OriginPattern>,
    /// The pool its requests use.
    pub pool: Arc<Pool>,
    /// Whether one delivery may send several requests (several granted destinations), so
    /// its retries keep a [`ResponseMemo`](super::ResponseMemo) of the final answers.
    pub several_requests: bool,
    /// The last URL that passed the checks, parsed: a target sends to the same URL again
    /// and again, so parsing and checking it once is enough (the grant and the address
    /// policy do not change under an opened target).
    checked: Mutex<Option<(String, reqwest::Url)>>,
}

impl HttpTarget {
    /// A target reaching `origins` through `pool`.
    pub fn new(origins: Vec<OriginPattern>, pool: Arc<Pool>, several_requests: bool) -> Self {
        HttpTarget { origins, pool, several_requests, checked: Mutex::new(None) }
    }

    /// `text`, parsed, if it is the URL that passed the checks last.
    pub(crate) fn checked_url(&self, text: &str) -> Option<reqwest::Url> {
        let checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        checked.as_ref().filter(|(known, _)| known == text).map(|(_, url)| url.clone())
    }

    /// Remembers `url` (parsed from `text`) as checked.
    pub(crate) fn remember_url(&self, text: &str, url: &reqwest::Url) {
        *self.checked.lock().unwrap_or_else(PoisonError::into_inner) = Some((text.to_owned(), url.clone()));
    }
}

/// Clients and pools shared by every adapter of a runtime.
#[derive(Debug)]
pub struct HttpService {
    settings: HttpSettings,
    pools: Mutex<HashMap<String, Arc<Pool>>>,
}

/// Name of the pool targets use when they name none.
pub const DEFAULT_POOL: &str = "default";

impl HttpService {
    /// A service with `settings`.
    pub fn new(settings: HttpSettings) -> Self {
        HttpService { settings, pools: Mutex::new(HashMap::new()) }
    }

    /// The settings.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The pool for `spec`, created on first use. A pool's size and timeout are fixed by
    /// the first target that names it; a target with `pool_size` but no `pool` gets a
    /// private pool (`private_key` names it).
    pub fn pool(&self, spec: &PoolSpec, private_key: &str) -> Result<Arc<Pool>, String> {
        let name = match (&spec.name, spec.size) {
            (Some(name), _) => name.clone(),
            (None, Some(_)) => format!("target:{private_key}"),
            (None, None) => DEFAULT_POOL.to_owned(),
        };
        let mut pools = self.pools.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = pools.get(&name) {
            return Ok(pool.clone());
        }
        let size = spec.size.unwrap_or(Semaphore::MAX_PERMITS);
        let mut builder = reqwest::Client::builder();
        for pem in &self.settings.extra_root_certificates {
            let certificate = reqwest::Certificate::from_pem(pem)
                .map_err(|e| format!("invalid extra root certificate: {e}"))?;
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PolicyResolver { policy: self.settings.address_policy.clone() }))
            .pool_max_idle_per_host(spec.size.unwrap_or(64))
            .user_agent(concat!("jido-dispatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let pool = Arc::new(Pool {
            name: name.clone(),
            client,
            permits: Arc::new(Semaphore::new(size)),
            wait: spec.timeout,
        });
        pools.insert(name, pool.clone());
        Ok(pool)
    }
}
