//! A component's exports, bound for async or for synchronous calls (`host/sync_io.rs`
//! says which components run synchronously), behind one set of methods: the calls in
//! `call.rs` do not care which.

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use super::bindings::sync_calls::transform_world::{
    DispatchTransform as SyncTransform, DispatchTransformPre as SyncTransformPre,
};
use super::bindings::sync_calls::{DispatchAdapter as SyncAdapter, DispatchAdapterPre as SyncAdapterPre};
use super::bindings::transform_world::{DispatchTransform, DispatchTransformPre};
use super::bindings::types as wit;
use super::bindings::{DispatchAdapter, DispatchAdapterPre};
use super::state::HostState;

/// A component pre-instantiated for one of the two worlds, for async or synchronous calls.
pub(super) enum Pre {
    /// An adapter (`dispatch-adapter`) that may wait in the host.
    Adapter(DispatchAdapterPre<HostState>),
    /// A transform (`dispatch-transform`) that may wait in the host.
    Transform(DispatchTransformPre<HostState>),
    /// An adapter called synchronously.
    SyncAdapter(SyncAdapterPre<HostState>),
    /// A transform called synchronously.
    SyncTransform(SyncTransformPre<HostState>),
}

impl Pre {
    /// Instantiates the component in `store`.
    pub(super) async fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Exports> {
        Ok(match self {
            Pre::Adapter(pre) => Exports::Adapter(pre.instantiate_async(store).await?),
            Pre::Transform(pre) => Exports::Transform(pre.instantiate_async(store).await?),
            Pre::SyncAdapter(pre) => Exports::SyncAdapter(pre.instantiate(store)?),
            Pre::SyncTransform(pre) => Exports::SyncTransform(pre.instantiate(store)?),
        })
    }

    /// "adapter" or "transform", for messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Pre::Adapter(_) | Pre::SyncAdapter(_) => "adapter",
            Pre::Transform(_) | Pre::SyncTransform(_) => "transform",
        }
    }
}

/// An instance's exports: those of an adapter or of a transform.
pub(super) enum Exports {
    /// An adapter's, called async.
    Adapter(DispatchAdapter),
    /// A transform's, called async.
    Transform(DispatchTransform),
    /// An adapter's, called synchronously.
    SyncAdapter(SyncAdapter),
    /// A transform's, called synchronously.
    SyncTransform(SyncTransform),
}

/// A call of an export the instance does not have: a host bug, never a guest's.
fn missing(export: &str) -> wasmtime::Error {
    wasmtime::Error::msg(format!("the component does not export `{export}`"))
}

impl Exports {
    /// The adapter's `validate-opts`.
    pub(super) async fn validate_adapter(
        &self,
        store: &mut Store<HostState>,
        opts: &str,
    ) -> wasmtime::Result<Result<String, String>> {
        match self {
            Exports::Adapter(guest) => guest.jido_dispatch_adapter().call_validate_opts(store, opts).await,
            Exports::SyncAdapter(guest) => guest.jido_dispatch_adapter().call_validate_opts(store, opts),
            _ => Err(missing("adapter.validate-opts")),
        }
    }

    /// The transform's `validate-opts`.
    pub(super) async fn validate_transform(
        &self,
        store: &mut Store<HostState>,
        opts: &str,
    ) -> wasmtime::Result<Result<String, String>> {
        match self {
            Exports::Transform(guest) => {
                guest.jido_dispatch_transform().call_validate_opts(store, opts).await
            }
            Exports::SyncTransform(guest) => guest.jido_dispatch_transform().call_validate_opts(store, opts),
            _ => Err(missing("transform.validate-opts")),
        }
    }

    /// `target.open` or `transformer.open`, whichever the component has.
    pub(super) async fn open(
        &self,
        store: &mut Store<HostState>,
        opts: &str,
    ) -> wasmtime::Result<Result<ResourceAny, String>> {
        match self {
            Exports::Adapter(guest) => guest.jido_dispatch_adapter().target().call_open(store, opts).await,
            Exports::Transform(guest) => {
                guest.jido_dispatch_transform().transformer().call_open(store, opts).await
            }
            Exports::SyncAdapter(guest) => guest.jido_dispatch_adapter().target().call_open(store, opts),
            Exports::SyncTransform(guest) => {
                guest.jido_dispatch_transform().transformer().call_open(store, opts)
            }
        }
    }

    /// `target.deliver`.
    pub(super) async fn deliver(
        &self,
        store: &mut Store<HostState>,
        target: ResourceAny,
        signal: &wit::Signal,
    ) -> wasmtime::Result<Result<(), wit::DeliveryError>> {
        match self {
            Exports::Adapter(guest) => {
                guest.jido_dispatch_adapter().target().call_deliver(store, target, signal).await
            }
            Exports::SyncAdapter(guest) => {
                guest.jido_dispatch_adapter().target().call_deliver(store, target, signal)
            }
            _ => Err(missing("target.deliver")),
        }
    }

    /// `target.deliver-batch`.
    pub(super) async fn deliver_batch(
        &self,
        store: &mut Store<HostState>,
        target: ResourceAny,
        signals: &[wit::Signal],
    ) -> wasmtime::Result<Vec<Result<(), wit::DeliveryError>>> {
        match self {
            Exports::Adapter(guest) => {
                guest.jido_dispatch_adapter().target().call_deliver_batch(store, target, signals).await
            }
            Exports::SyncAdapter(guest) => {
                guest.jido_dispatch_adapter().target().call_deliver_batch(store, target, signals)
            }
            _ => Err(missing("target.deliver-batch")),
        }
    }

    /// `target.health-check`.
    pub(super) async fn health_check(
        &self,
        store: &mut Store<HostState>,
        target: ResourceAny,
    ) -> wasmtime::Result<Result<(), String>> {
        match self {
            Exports::Adapter(guest) => {
                guest.jido_dispatch_adapter().target().call_health_check(store, target).await
            }
            Exports::SyncAdapter(guest) => {
                guest.jido_dispatch_adapter().target().call_health_check(store, target)
            }
            _ => Err(missing("target.health-check")),
        }
    }

    /// `transformer.transform`.
    pub(super) async fn transform(
        &self,
        store: &mut Store<HostState>,
        transformer: ResourceAny,
        signal: &wit::Signal,
    ) -> wasmtime::Result<Result<Option<wit::Signal>, String>> {
        match self {
            Exports::Transform(guest) => {
                guest.jido_dispatch_transform().transformer().call_transform(store, transformer, signal).await
            }
            Exports::SyncTransform(guest) => {
                guest.jido_dispatch_transform().transformer().call_transform(store, transformer, signal)
            }
            _ => Err(missing("transformer.transform")),
        }
    }
}
