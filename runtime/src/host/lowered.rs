//! The signal as a component receives it, lowered straight from the host's [`Signal`].
//!
//! `bindgen!`'s `types::Signal` owns its strings, so calling an export with it meant copying
//! every attribute and the data into a fresh record first, only for wasmtime to copy them
//! again into the guest's memory. [`SignalRef`] has the same component type but borrows from
//! the host's signal: the one copy left is the one into the guest.
//!
//! [`SignalExports`] holds the exports that take a signal, each checked once (when the
//! instance is made) against a parameter list that uses [`SignalRef`] instead of
//! `types::Signal`, so a call lowers the borrowed form.

use std::marker::PhantomData;

use wasmtime::component::{
    ComponentNamedList, ComponentType, Func, Lift, Lower, Resource, ResourceAny, TypedFunc,
};
use wasmtime::{AsContextMut, Store};

use super::bindings::SignalView;
use super::bindings::types as wit;
pub(super) use super::bindings::view_transform_world::exports::jido::dispatch::view_transform::Verdict;
use super::state::HostState;
use super::view::lent_handle;
use crate::signal::{Data, ExtensionValue, Signal};

/// `types.signal`, borrowed from a host [`Signal`].
#[derive(ComponentType, Lower)]
#[component(record)]
pub(super) struct SignalRef<'a> {
    id: &'a str,
    source: &'a str,
    #[component(name = "type")]
    ty: &'a str,
    specversion: &'a str,
    subject: Option<&'a str>,
    time: Option<&'a str>,
    datacontenttype: Option<&'a str>,
    dataschema: Option<&'a str>,
    data: Option<DataRef<'a>>,
    extensions: Vec<(&'a str, ExtensionRef<'a>)>,
}

/// `types.data`, borrowed.
#[derive(ComponentType, Lower)]
#[component(variant)]
pub(super) enum DataRef<'a> {
    #[component(name = "json")]
    Json(&'a str),
    #[component(name = "binary")]
    Binary(&'a [u8]),
}

/// `types.extension-value`, borrowed.
#[derive(ComponentType, Lower)]
#[component(variant)]
pub(super) enum ExtensionRef<'a> {
    #[component(name = "text")]
    Text(&'a str),
    #[component(name = "boolean")]
    Boolean(bool),
    #[component(name = "integer")]
    Integer(i64),
}

impl<'a> SignalRef<'a> {
    /// The component form of `signal`, borrowing its strings and data (extensions, when
    /// there are any, take one small vector).
    pub(super) fn new(signal: &'a Signal) -> Self {
        SignalRef {
            id: &signal.id,
            source: &signal.source,
            ty: &signal.ty,
            specversion: &signal.specversion,
            subject: signal.subject.as_deref(),
            time: signal.time.as_deref(),
            datacontenttype: signal.datacontenttype.as_deref(),
            dataschema: signal.dataschema.as_deref(),
            data: signal.data.as_ref().map(|data| match data {
                Data::Json(text) => DataRef::Json(text.as_str()),
                Data::Binary(bytes) => DataRef::Binary(bytes),
            }),
            extensions: signal
                .extensions
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        ExtensionValue::Text(text) => ExtensionRef::Text(text),
                        ExtensionValue::Boolean(b) => ExtensionRef::Boolean(*b),
                        ExtensionValue::Integer(i) => ExtensionRef::Integer(*i),
                    };
                    (name.as_str(), value)
                })
                .collect(),
        }
    }
}

/// One export whose parameters `P<'a>` borrow; checked against the component once, with
/// `'static` standing in for every lifetime.
pub(super) struct Checked<P, R> {
    func: Func,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for Checked<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for Checked<P, R> {}

impl<P, R> Checked<P, R>
where
    P: ComponentNamedList + Lower,
    R: ComponentNamedList + Lift,
{
    /// Checks that `func` has the parameters `P` and results `R`.
    fn new(store: &Store<HostState>, func: Func) -> wasmtime::Result<Self> {
        func.typed::<P, R>(store)?;
        Ok(Checked { func, _types: PhantomData })
    }
}

/// The typed function for parameters that differ from the checked ones only in their
/// lifetimes (a component type has none, so the check holds for them too).
macro_rules! typed {
    ($checked:expr, $params:ty, $results:ty) => {{
        let func: Func = $checked.func;
        // SAFETY: `Checked::new` type-checked `func` against these parameter and result
        // types with `'static` lifetimes; lifetimes do not change a component type.
        unsafe { TypedFunc::<$params, $results>::new_unchecked(func) }
    }};
}

/// What `target.deliver` returns.
type DeliverResults = (Result<(), wit::DeliveryError>,);
/// What `target.deliver-batch` returns.
type BatchResults = (Vec<Result<(), wit::DeliveryError>>,);
/// What `transformer.transform` returns.
type TransformResults = (Result<Option<wit::Signal>, String>,);
/// What `view-transform`'s `transformer.transform` returns.
type VerdictResults = (Result<Verdict, String>,);

/// An instance's exports that take signals, called with borrowed signals.
#[derive(Clone, Copy)]
pub(super) enum SignalExports {
    /// An adapter's `target.deliver` and `target.deliver-batch`.
    Adapter {
        deliver: Checked<(ResourceAny, SignalRef<'static>), DeliverResults>,
        batch: Checked<(ResourceAny, Vec<SignalRef<'static>>), BatchResults>,
    },
    /// A transform's `transformer.transform`.
    Transform(Checked<(ResourceAny, SignalRef<'static>), TransformResults>),
    /// A view-adapter's `target.deliver`, which is lent the signal, and its
    /// `target.deliver-batch`, which takes signals as `adapter`'s does.
    ViewAdapter {
        deliver: Checked<(ResourceAny, Resource<SignalView>), DeliverResults>,
        batch: Checked<(ResourceAny, Vec<SignalRef<'static>>), BatchResults>,
    },
    /// A view-transform's `transformer.transform`, which is lent the signal.
    ViewTransform(Checked<(ResourceAny, Resource<SignalView>), VerdictResults>),
}

impl SignalExports {
    /// An adapter's, from the functions its bindings found.
    pub(super) fn adapter(store: &Store<HostState>, deliver: Func, batch: Func) -> wasmtime::Result<Self> {
        Ok(SignalExports::Adapter {
            deliver: Checked::new(store, deliver)?,
            batch: Checked::new(store, batch)?,
        })
    }

    /// A view-adapter's, from the functions its bindings found.
    pub(super) fn view_adapter(
        store: &Store<HostState>,
        deliver: Func,
        batch: Func,
    ) -> wasmtime::Result<Self> {
        Ok(SignalExports::ViewAdapter {
            deliver: Checked::new(store, deliver)?,
            batch: Checked::new(store, batch)?,
        })
    }

    /// A transform's, from the function its bindings found.
    pub(super) fn transformer(store: &Store<HostState>, transform: Func) -> wasmtime::Result<Self> {
        Ok(SignalExports::Transform(Checked::new(store, transform)?))
    }

    /// A view-transform's, from the function its bindings found.
    pub(super) fn view_transformer(store: &Store<HostState>, transform: Func) -> wasmtime::Result<Self> {
        Ok(SignalExports::ViewTransform(Checked::new(store, transform)?))
    }

    /// `target.deliver`, async (`sync = false`) or synchronously, of either adapter
    /// interface.
    pub(super) async fn deliver(
        self,
        store: &mut Store<HostState>,
        sync: bool,
        target: ResourceAny,
        signal: &Signal,
    ) -> wasmtime::Result<Result<(), wit::DeliveryError>> {
        match self {
            SignalExports::Adapter { deliver, .. } => {
                let func = typed!(deliver, (ResourceAny, SignalRef<'_>), DeliverResults);
                let params = (target, SignalRef::new(signal));
                Ok(call(func, store, sync, params).await?.0)
            }
            SignalExports::ViewAdapter { deliver, .. } => {
                let func = typed!(deliver, (ResourceAny, Resource<SignalView>), DeliverResults);
                call_lent(func, store, sync, target, signal).await
            }
            _ => Err(missing("target.deliver")),
        }
    }

    /// `target.deliver-batch`, of either adapter interface.
    pub(super) async fn deliver_batch(
        self,
        store: &mut Store<HostState>,
        sync: bool,
        target: ResourceAny,
        signals: &[Signal],
    ) -> wasmtime::Result<Vec<Result<(), wit::DeliveryError>>> {
        match self {
            SignalExports::Adapter { batch, .. } | SignalExports::ViewAdapter { batch, .. } => {
                let func = typed!(batch, (ResourceAny, Vec<SignalRef<'_>>), BatchResults);
                let params = (target, signals.iter().map(SignalRef::new).collect());
                Ok(call(func, store, sync, params).await?.0)
            }
            _ => Err(missing("target.deliver-batch")),
        }
    }

    /// `transformer.transform`, of either transform interface: a `transform` that returns
    /// a signal is answered [`Verdict::Replace`] (the caller sees whether it changed), one
    /// that returns none [`Verdict::Drop`].
    pub(super) async fn transform(
        self,
        store: &mut Store<HostState>,
        sync: bool,
        transformer: ResourceAny,
        signal: &Signal,
    ) -> wasmtime::Result<Result<Verdict, String>> {
        match self {
            SignalExports::Transform(transform) => {
                let func = typed!(transform, (ResourceAny, SignalRef<'_>), TransformResults);
                let params = (transformer, SignalRef::new(signal));
                let (answer,) = call(func, store, sync, params).await?;
                Ok(answer.map(|out| out.map_or(Verdict::Drop, Verdict::Replace)))
            }
            SignalExports::ViewTransform(transform) => {
                let func = typed!(transform, (ResourceAny, Resource<SignalView>), VerdictResults);
                call_lent(func, store, sync, transformer, signal).await
            }
            _ => Err(missing("transformer.transform")),
        }
    }
}

/// Calls `func` on `resource` with `signal` lent to the store's `view` (`host/view.rs`),
/// and ends the loan when the call returns, whatever it returned.
async fn call_lent<R>(
    func: TypedFunc<(ResourceAny, Resource<SignalView>), (R,)>,
    store: &mut Store<HostState>,
    sync: bool,
    resource: ResourceAny,
    signal: &Signal,
) -> wasmtime::Result<R>
where
    R: ComponentType + Lift + Send + Sync + 'static,
{
    store.data_mut().lent.lend(signal);
    let answer = call(func, store, sync, (resource, lent_handle())).await;
    store.data_mut().lent.end();
    Ok(answer?.0)
}

async fn call<P, R>(
    func: TypedFunc<P, R>,
    store: &mut Store<HostState>,
    sync: bool,
    params: P,
) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    if sync { func.call(store.as_context_mut(), params) } else { func.call_async(store, params).await }
}

/// A call of an export the instance does not have: a host bug, never a guest's.
pub(super) fn missing(export: &str) -> wasmtime::Error {
    wasmtime::Error::msg(format!("the component does not export `{export}`"))
}
