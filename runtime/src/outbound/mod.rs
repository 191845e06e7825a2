//! Outbound HTTP, shared by every target that may send requests: the clients and their
//! pools, the egress policy (granted origins, refused addresses), and the answers a delivery
//! keeps across its retries. Below the adapter layer, so an opened target can carry its
//! grant without `adapter` reaching into the host; the host's `http` import
//! ([`host::http`](crate::host::http)) sends through it.

mod client;
mod egress;
mod memo;
mod observed;

pub use client::{DEFAULT_POOL, EgressDenied, HttpService, HttpSettings, HttpTarget, Pool, PoolSpec};
pub use egress::{AddressPolicy, IpNet, OriginPattern, PolicyError};
pub use memo::{MemoAnswer, RequestKey, ResponseMemo};
pub use observed::{BODY_PREFIX, Observed};
