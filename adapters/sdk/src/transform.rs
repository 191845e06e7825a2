//! Transforms: components of the `dispatch-transform` world, which reshape or drop a signal
//! for one target just before its adapter sees it.
//!
//! A transform implements [`Transform`] and exports it with
//! [`export_transform!`](crate::export_transform). It imports only `log` ([`crate::log`]
//! works in a transform too): no `http`, no `channel`. Options are typed as for adapters.
//!
//! ```
//! use jido_dispatch_sdk::{Signal, Data};
//! use jido_dispatch_sdk::transform::Transform;
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
//!     fn transform(&self, mut signal: Signal) -> Result<Option<Signal>, String> {
//!         if signal.type_ != self.0.only {
//!             return Ok(None); // dropped for this target only
//!         }
//!         signal.data = Some(Data::Json(r#"{"text":"hello"}"#.to_owned()));
//!         Ok(Some(signal))
//!     }
//! }
//!
//! jido_dispatch_sdk::export_transform!(OnlyOneType);
//! ```

use crate::Signal;

/// Generated bindings of the `dispatch-transform` world; its `types` and `log` are the
/// adapter world's, so [`Signal`] and the helpers are shared.
#[expect(missing_docs, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dispatch-transform",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "__export_transform_world",
        default_bindings_module: "jido_dispatch_sdk::transform::bindings",
        with: {
            "jido:dispatch/types@0.1.0": crate::bindings::jido::dispatch::types,
            "jido:dispatch/log@0.1.0": crate::bindings::jido::dispatch::log,
        },
    });
}

/// Re-exported for [`export_transform!`](crate::export_transform); not public API.
#[doc(hidden)]
pub use bindings::exports::jido::dispatch::transform as __transform;

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

    /// The signal to deliver (changed or not), `None` to drop it for this target, or why
    /// it cannot be transformed (a permanent failure, dead-lettered with the original).
    fn transform(&self, signal: Signal) -> Result<Option<Signal>, String>;
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
            fn transform(&self, signal: $crate::Signal) -> Result<Option<$crate::Signal>, String> {
                <$ty as $crate::transform::Transform>::transform(self, signal)
            }
        }

        #[cfg(target_arch = "wasm32")]
        $crate::transform::bindings::__export_transform_world!(
            __JidoTransformComponent with_types_in $crate::transform::bindings
        );
    };
}
