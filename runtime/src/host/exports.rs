//! A component's exports, bound for async or for synchronous calls (`host/sync_io.rs`
//! says which components run synchronously), behind one set of methods: the calls in
//! `call.rs` do not care which.

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use super::bindings::sync_calls::transform_world::{
    DispatchTransform as SyncTransform, DispatchTransformPre as SyncTransformPre,
};
use super::bindings::sync_calls::view_adapter_world::{
    DispatchViewAdapter as SyncViewAdapter, DispatchViewAdapterPre as SyncViewAdapterPre,
};
use super::bindings::sync_calls::view_transform_world::{
    DispatchViewTransform as SyncViewTransform, DispatchViewTransformPre as SyncViewTransformPre,
};
use super::bindings::sync_calls::{DispatchAdapter as SyncAdapter, DispatchAdapterPre as SyncAdapterPre};
use super::bindings::transform_world::{DispatchTransform, DispatchTransformPre};
use super::bindings::types as wit;
use super::bindings::view_adapter_world::{DispatchViewAdapter, DispatchViewAdapterPre};
use super::bindings::view_transform_world::{DispatchViewTransform, DispatchViewTransformPre};
use super::bindings::{DispatchAdapter, DispatchAdapterPre};
use super::lowered::{SignalExports, Verdict, missing};
use super::state::HostState;
use crate::signal::Signal;

/// A component pre-instantiated for one of the four worlds, for async or synchronous calls.
pub(super) enum Pre {
    /// A view-adapter (`dispatch-view-adapter`) that may wait in the host.
    ViewAdapter(DispatchViewAdapterPre<HostState>),
    /// A view-adapter called synchronously.
    SyncViewAdapter(SyncViewAdapterPre<HostState>),
    /// An adapter (`dispatch-adapter`) that may wait in the host.
    Adapter(DispatchAdapterPre<HostState>),
    /// A transform (`dispatch-transform`) that may wait in the host.
    Transform(DispatchTransformPre<HostState>),
    /// An adapter called synchronously.
    SyncAdapter(SyncAdapterPre<HostState>),
    /// A transform called synchronously.
    SyncTransform(SyncTransformPre<HostState>),
    /// A view-transform (`dispatch-view-transform`) that may wait in the host.
    ViewTransform(DispatchViewTransformPre<HostState>),
    /// A view-transform called synchronously.
    SyncViewTransform(SyncViewTransformPre<HostState>),
}

impl Pre {
    /// Instantiates the component in `store`.
    pub(super) async fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Exports> {
        let bound = match self {
            Pre::ViewAdapter(pre) => Bound::ViewAdapter(pre.instantiate_async(&mut *store).await?),
            Pre::SyncViewAdapter(pre) => Bound::SyncViewAdapter(pre.instantiate(&mut *store)?),
            Pre::Adapter(pre) => Bound::Adapter(pre.instantiate_async(&mut *store).await?),
            Pre::Transform(pre) => Bound::Transform(pre.instantiate_async(&mut *store).await?),
            Pre::SyncAdapter(pre) => Bound::SyncAdapter(pre.instantiate(&mut *store)?),
            Pre::SyncTransform(pre) => Bound::SyncTransform(pre.instantiate(&mut *store)?),
            Pre::ViewTransform(pre) => Bound::ViewTransform(pre.instantiate_async(&mut *store).await?),
            Pre::SyncViewTransform(pre) => Bound::SyncViewTransform(pre.instantiate(&mut *store)?),
        };
        let signals = match &bound {
            Bound::ViewAdapter(guest) => {
                let target = guest.jido_dispatch_view_adapter().target();
                SignalExports::view_adapter(
                    store,
                    *target.func_deliver().func(),
                    *target.func_deliver_batch().func(),
                )
            }
            Bound::SyncViewAdapter(guest) => {
                let target = guest.jido_dispatch_view_adapter().target();
                SignalExports::view_adapter(
                    store,
                    *target.func_deliver().func(),
                    *target.func_deliver_batch().func(),
                )
            }
            Bound::Adapter(guest) => {
                let target = guest.jido_dispatch_adapter().target();
                SignalExports::adapter(
                    store,
                    *target.func_deliver().func(),
                    *target.func_deliver_batch().func(),
                )
            }
            Bound::SyncAdapter(guest) => {
                let target = guest.jido_dispatch_adapter().target();
                SignalExports::adapter(
                    store,
                    *target.func_deliver().func(),
                    *target.func_deliver_batch().func(),
                )
            }
            Bound::Transform(guest) => {
                let transformer = guest.jido_dispatch_transform().transformer();
                SignalExports::transformer(store, *transformer.func_transform().func())
            }
            Bound::SyncTransform(guest) => {
                let transformer = guest.jido_dispatch_transform().transformer();
                SignalExports::transformer(store, *transformer.func_transform().func())
            }
            Bound::ViewTransform(guest) => {
                let transformer = guest.jido_dispatch_view_transform().transformer();
                SignalExports::view_transformer(store, *transformer.func_transform().func())
            }
            Bound::SyncViewTransform(guest) => {
                let transformer = guest.jido_dispatch_view_transform().transformer();
                SignalExports::view_transformer(store, *transformer.func_transform().func())
            }
        }?;
        let sync = matches!(
            bound,
            Bound::SyncAdapter(_)
                | Bound::SyncViewAdapter(_)
                | Bound::SyncTransform(_)
                | Bound::SyncViewTransform(_)
        );
        Ok(Exports { bound, signals, sync })
    }

    /// The world the component was loaded for.
    pub(super) fn world(&self) -> &'static str {
        match self {
            Pre::Adapter(_) | Pre::SyncAdapter(_) => "dispatch-adapter",
            Pre::ViewAdapter(_) | Pre::SyncViewAdapter(_) => "dispatch-view-adapter",
            Pre::Transform(_) | Pre::SyncTransform(_) => "dispatch-transform",
            Pre::ViewTransform(_) | Pre::SyncViewTransform(_) => "dispatch-view-transform",
        }
    }

    /// "adapter" or "transform", for messages.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Pre::Adapter(_) | Pre::SyncAdapter(_) | Pre::ViewAdapter(_) | Pre::SyncViewAdapter(_) => {
                "adapter"
            }
            Pre::Transform(_) | Pre::SyncTransform(_) | Pre::ViewTransform(_) | Pre::SyncViewTransform(_) => {
                "transform"
            }
        }
    }
}

/// An instance's exports: its bindings, and the exports that take signals, called with
/// the signal borrowed (`host/lowered.rs`).
pub(super) struct Exports {
    bound: Bound,
    signals: SignalExports,
    /// Whether the instance is called synchronously.
    sync: bool,
}

/// The bindings of an adapter or of a transform, async or synchronous.
enum Bound {
    /// A view-adapter's, called async.
    ViewAdapter(DispatchViewAdapter),
    /// A view-adapter's, called synchronously.
    SyncViewAdapter(SyncViewAdapter),
    /// An adapter's, called async.
    Adapter(DispatchAdapter),
    /// A transform's, called async.
    Transform(DispatchTransform),
    /// An adapter's, called synchronously.
    SyncAdapter(SyncAdapter),
    /// A transform's, called synchronously.
    SyncTransform(SyncTransform),
    /// A view-transform's, called async.
    ViewTransform(DispatchViewTransform),
    /// A view-transform's, called synchronously.
    SyncViewTransform(SyncViewTransform),
}

impl Exports {
    /// The adapter's `validate-opts`.
    pub(super) async fn validate_adapter(
        &self,
        store: &mut Store<HostState>,
        opts: &str,
    ) -> wasmtime::Result<Result<String, String>> {
        match &self.bound {
            Bound::Adapter(guest) => guest.jido_dispatch_adapter().call_validate_opts(store, opts).await,
            Bound::SyncAdapter(guest) => guest.jido_dispatch_adapter().call_validate_opts(store, opts),
            Bound::ViewAdapter(guest) => {
                guest.jido_dispatch_view_adapter().call_validate_opts(store, opts).await
            }
            Bound::SyncViewAdapter(guest) => {
                guest.jido_dispatch_view_adapter().call_validate_opts(store, opts)
            }
            _ => Err(missing("adapter.validate-opts")),
        }
    }

    /// The transform's `validate-opts`.
    pub(super) async fn validate_transform(
        &self,
        store: &mut Store<HostState>,
        opts: &str,
    ) -> wasmtime::Result<Result<String, String>> {
        match &self.bound {
            Bound::Transform(guest) => guest.jido_dispatch_transform().call_validate_opts(store, opts).await,
            Bound::SyncTransform(guest) => guest.jido_dispatch_transform().call_validate_opts(store, opts),
            Bound::ViewTransform(guest) => {
                guest.jido_dispatch_view_transform().call_validate_opts(store, opts).await
            }
            Bound::SyncViewTransform(guest) => {
                guest.jido_dispatch_view_transform().call_validate_opts(store, opts)
            }
            _ => Err(missing("transform.validate-opts")),
        }
    }

    /// `target.open` or `transformer.open`, whichever the component has.
    pub(super) async fn open(
        &self,
        store: &mut Store<HostState>,
        opts: &str,
    ) -> wasmtime::Result<Result<ResourceAny, String>> {
        match &self.bound {
            Bound::Adapter(guest) => guest.jido_dispatch_adapter().target().call_open(store, opts).await,
            Bound::Transform(guest) => {
                guest.jido_dispatch_transform().transformer().call_open(store, opts).await
            }
            Bound::SyncAdapter(guest) => guest.jido_dispatch_adapter().target().call_open(store, opts),
            Bound::ViewAdapter(guest) => {
                guest.jido_dispatch_view_adapter().target().call_open(store, opts).await
            }
            Bound::SyncViewAdapter(guest) => {
                guest.jido_dispatch_view_adapter().target().call_open(store, opts)
            }
            Bound::SyncTransform(guest) => {
                guest.jido_dispatch_transform().transformer().call_open(store, opts)
            }
            Bound::ViewTransform(guest) => {
                guest.jido_dispatch_view_transform().transformer().call_open(store, opts).await
            }
            Bound::SyncViewTransform(guest) => {
                guest.jido_dispatch_view_transform().transformer().call_open(store, opts)
            }
        }
    }

    /// `target.deliver`, of either adapter interface.
    pub(super) async fn deliver(
        &self,
        store: &mut Store<HostState>,
        target: ResourceAny,
        signal: &Signal,
    ) -> wasmtime::Result<Result<(), wit::DeliveryError>> {
        self.signals.deliver(store, self.sync, target, signal).await
    }

    /// `target.deliver-batch`, of either adapter interface.
    pub(super) async fn deliver_batch(
        &self,
        store: &mut Store<HostState>,
        target: ResourceAny,
        signals: &[Signal],
    ) -> wasmtime::Result<Vec<Result<(), wit::DeliveryError>>> {
        self.signals.deliver_batch(store, self.sync, target, signals).await
    }

    /// `target.health-check`.
    pub(super) async fn health_check(
        &self,
        store: &mut Store<HostState>,
        target: ResourceAny,
    ) -> wasmtime::Result<Result<(), String>> {
        match &self.bound {
            Bound::Adapter(guest) => {
                guest.jido_dispatch_adapter().target().call_health_check(store, target).await
            }
            Bound::SyncAdapter(guest) => {
                guest.jido_dispatch_adapter().target().call_health_check(store, target)
            }
            Bound::ViewAdapter(guest) => {
                guest.jido_dispatch_view_adapter().target().call_health_check(store, target).await
            }
            Bound::SyncViewAdapter(guest) => {
                guest.jido_dispatch_view_adapter().target().call_health_check(store, target)
            }
            _ => Err(missing("target.health-check")),
        }
    }

    /// `transformer.transform`, of either transform world.
    pub(super) async fn transform(
        &self,
        store: &mut Store<HostState>,
        transformer: ResourceAny,
        signal: &Signal,
    ) -> wasmtime::Result<Result<Verdict, String>> {
        self.signals.transform(store, self.sync, transformer, signal).await
    }
}
