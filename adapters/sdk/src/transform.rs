//! Transforms: components of the `dispatch-view-transform` world, which reshape or drop a
//! signal for one target just before its adapter sees it.
//!
//! A transform implements [`Transform`] and exports it with
//! [`export_transform!`](crate::export_transform). It imports only `log` ([`crate::log`]
//! works in a transform too) and `view`: no `http`, no `channel`. Options are typed as for
//! adapters.
//!
//! The signal stays in the host: [`Incoming`] reads it on demand (each read is a call into
//! the host), and a transform that lets a signal through unchanged answers
//! [`Verdict::Keep`] instead of sending it back. A no-op, or a filter that looks only at
//! the type or at the JSON encoding, never copies the signal into the component.
//!
//! ```
//! use jido_dispatch_sdk::transform::{Incoming, Transform, Verdict};
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! #[serde(deny_unknown_fields)]
//! pub struct Opts {
//!     /// Signals of other types are dropped for this target.
//!     only: String,
//! }
//!
//! pub struct OnlyOneType(Opts);
//!
//! impl Transform for OnlyOneType {
//!     type Options = Opts;
//!
//!     fn open(opts: Opts) -> Result<Self, String> {
//!         Ok(OnlyOneType(opts))
//!     }
//!
//!     fn transform(&self, incoming: Incoming<'_>) -> Result<Verdict, String> {
//!         if incoming.type_() != self.0.only {
//!             return Ok(Verdict::Drop); // dropped for this target only
//!         }
//!         if incoming.signal().subject.is_none() {
//!             return Ok(Verdict::Keep); // delivered as it is
//!         }
//!         // A new body; the host keeps every other attribute.
//!         Ok(Verdict::json_data(r#"{"text":"hello"}"#.to_owned()))
//!     }
//! }
//!
//! jido_dispatch_sdk::export_transform!(OnlyOneType);
//! ```

use crate::Signal;

/// Generated bindings of the `dispatch-view-transform` world; its `types`, `log` and `view`
/// are the adapter world's, so [`Signal`], [`Incoming`] and the helpers are shared.
#[expect(missing_docs, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dispatch-view-transform",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "__export_transform_world",
        default_bindings_module: "jido_dispatch_sdk::transform::bindings",
        with: {
            "jido:dispatch/types@0.1.0": crate::bindings::jido::dispatch::types,
            "jido:dispatch/log@0.1.0": crate::bindings::jido::dispatch::log,
            "jido:dispatch/view@0.1.0": crate::bindings::jido::dispatch::view,
        },
    });
}

#[doc(hidden)]
pub use crate::bindings::jido::dispatch::view::SignalView as __SignalView;
/// The signal a transform decides on (shared with adapters: [`crate::Incoming`]).
pub use crate::incoming::Incoming;
/// Re-exported for [`export_transform!`](crate::export_transform); not public API.
#[doc(hidden)]
pub use bindings::exports::jido::dispatch::view_transform as __transform;
/// What a transform decided for one signal: [`Verdict::Keep`] it as it is,
/// [`Verdict::Drop`] it for this target, give it a new payload ([`Verdict::Reshape`]: the
/// host keeps every other attribute), or deliver [`Verdict::Replace`]'s signal instead.
pub use bindings::exports::jido::dispatch::view_transform::{Payload, Verdict};

impl Verdict {
    /// [`Verdict::Reshape`] to a JSON body: `json` becomes the signal's `data`, with
    /// `datacontenttype` `application/json`.
    pub fn json_data(json: String) -> Self {
        Verdict::Reshape(Payload {
            data: Some(crate::Data::Json(json)),
            datacontenttype: Some("application/json".to_owned()),
        })
    }

    /// What this verdict makes of `signal` (tests, native use): the signal to deliver, or
    /// `None` when it is dropped.
    pub fn applied_to(self, signal: &Signal) -> Option<Signal> {
        match self {
            Verdict::Keep => Some(signal.clone()),
            Verdict::Drop => None,
            Verdict::Reshape(payload) => {
                let mut out = signal.clone();
                out.data = payload.data;
                out.datacontenttype = payload.datacontenttype;
                Some(out)
            }
            Verdict::Replace(out) => Some(out),
        }
    }
}

/// A transform: what a component does to each signal of a target.
///
/// Options are parsed and checked once, in [`Transform::open`]; the host keeps the opened
/// value for as long as the component instance lives.
pub trait Transform: Sized + 'static {
    /// The transform's options (`transform_options` of a target). Deserialising fills
    /// defaults and rejects unknown keys (use `#[serde(deny_unknown_fields)]`).
    type Options: serde::de::DeserializeOwned + serde::Serialize;

    /// Checks option values beyond their types; the error should name the option.
    fn check(_opts: &Self::Options) -> Result<(), String> {
        Ok(())
    }

    /// Builds the transform from checked options.
    fn open(opts: Self::Options) -> Result<Self, String>;

    /// Keep the signal, drop it for this target, or replace it; or why it cannot be
    /// transformed (a permanent failure, dead-lettered with the original).
    fn transform(&self, incoming: Incoming<'_>) -> Result<Verdict, String>;
}

/// Implementation of `validate-opts` for a [`Transform`].
#[doc(hidden)]
pub fn __validate<T: Transform>(opts: &str) -> Result<String, String> {
    crate::__normalised(&crate::__checked(opts, T::check)?)
}

/// Implementation of `transformer.open` for a [`Transform`].
#[doc(hidden)]
pub fn __open<T: Transform>(opts: &str) -> Result<T, String> {
    T::open(crate::__checked(opts, T::check)?)
}

/// Exports a type implementing [`Transform`] as this component's `transform` interface.
///
/// Use it once per component crate: `jido_dispatch_sdk::export_transform!(MyTransform);`.
#[macro_export]
macro_rules! export_transform {
    ($ty:ty) => {
        #[doc(hidden)]
        pub struct __JidoTransformComponent;

        impl $crate::transform::__transform::Guest for __JidoTransformComponent {
            type Transformer = $ty;
            fn validate_opts(opts: String) -> Result<String, String> {
                $crate::transform::__validate::<$ty>(&opts)
            }
        }

        impl $crate::transform::__transform::GuestTransformer for $ty {
            fn open(opts: String) -> Result<$crate::transform::__transform::Transformer, String> {
                $crate::transform::__open::<$ty>(&opts).map($crate::transform::__transform::Transformer::new)
            }
            fn transform(
                &self,
                signal: &$crate::transform::__SignalView,
            ) -> Result<$crate::transform::Verdict, String> {
                let incoming = $crate::transform::Incoming::__lent(signal);
                <$ty as $crate::transform::Transform>::transform(self, incoming)
            }
        }

        #[cfg(target_arch = "wasm32")]
        $crate::transform::bindings::__export_transform_world!(
            __JidoTransformComponent with_types_in $crate::transform::bindings
        );
    };
}
