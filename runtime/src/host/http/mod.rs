//! The [`http`](../../../../wit/http.wit) import: components' requests, checked against the
//! target's grant and sent through the shared clients of [`outbound`](crate::outbound)
//! (re-exported here, where embedders have found them).

mod import;
#[cfg(test)]
mod import_tests;

pub use import::HttpCtx;

pub use crate::outbound::{
    AddressPolicy, DEFAULT_POOL, EgressDenied, HttpService, HttpSettings, HttpTarget, IpNet, OriginPattern,
    PolicyError, Pool, PoolSpec, ResponseMemo,
};
