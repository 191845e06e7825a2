//! Outbound HTTP for components: the [`http`](../../../../wit/http.wit) import, its
//! clients and pools, and the egress policy.

mod client;
mod egress;
mod import;
mod memo;

pub use client::{DEFAULT_POOL, EgressDenied, HttpService, HttpSettings, HttpTarget, Pool, PoolSpec};
pub use egress::{AddressPolicy, IpNet, OriginPattern, PolicyError};
pub use memo::ResponseMemo;
