//! Guest SDK for jido-dispatch delivery adapters written in Rust.
//!
//! It generates the bindings of the `jido:dispatch/dispatch-view-adapter` world once and
//! offers:
//! - [`Adapter`]: the trait an adapter implements (typed options, deliver, batch, health);
//! - [`export_adapter!`]: exports an [`Adapter`] as the component's `view-adapter`
//!   interface: the host lends each signal ([`Incoming`]) instead of copying it in, and
//!   [`Adapter::deliver`] receives the whole signal unless the adapter reads less of it
//!   ([`Adapter::deliver_incoming`]);
//! - [`options`]: typed option parsing whose errors name the offending option;
//! - [`json`]: the CloudEvents structured-mode JSON encoding of a signal;
//! - [`channel`]: mailbox sends with the built-in adapters' error codes;
//! - [`log`] and [`outcome`]: small helpers over the `log` import and delivery errors.
//!
//! # A complete adapter
//!
//! A crate with `crate-type = ["cdylib", "rlib"]` that depends on this SDK, built with
//! `cargo build --release --target wasm32-wasip2`, is a component of the world. This one
//! posts each signal's type to a URL and is checked by `cargo test` like any Rust code (the
//! export itself only exists on `wasm32`):
//!
//! ```
//! use jido_dispatch_sdk::http::{self, Method, Request};
//! use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, options};
//!
//! /// Options as targets write them: `{ adapter = "notify", url = "…", prefix = "…" }`.
//! #[derive(serde::Deserialize, serde::Serialize)]
//! #[serde(deny_unknown_fields)] // unknown keys are refused, naming the key
//! pub struct Opts {
//!     url: String,
//!     #[serde(default = "default_prefix")] // defaults appear in the normalised options
//!     prefix: String,
//! }
//!
//! fn default_prefix() -> String {
//!     "event".to_owned()
//! }
//!
//! /// The exported type must be public (the component's `target` resource wraps it).
//! pub struct Notify {
//!     opts: Opts,
//! }
//!
//! impl Adapter for Notify {
//!     type Options = Opts;
//!
//!     // Checks beyond types; the message names the option.
//!     fn check(opts: &Opts) -> Result<(), String> {
//!         http::check_url("url", &opts.url)?;
//!         options::non_empty("prefix", &opts.prefix)
//!     }
//!
//!     // Runs once per instance: keep whatever parsed state deliveries need.
//!     fn open(opts: Opts) -> Result<Self, String> {
//!         Ok(Notify { opts })
//!     }
//!
//!     fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
//!         let body = format!("{}: {}", self.opts.prefix, signal.type_);
//!         let request = Request {
//!             method: Method::Post,
//!             url: self.opts.url.clone(),
//!             headers: vec![("content-type".into(), "text/plain".into())],
//!             body: Some(body.into_bytes()),
//!             timeout_ms: Some(5000),
//!         };
//!         // 2xx: Ok; 408/425/429/5xx and connection errors: retryable; other 4xx: permanent.
//!         http::classify(&self.opts.url, http::send(&request))
//!     }
//! }
//!
//! jido_dispatch_sdk::export_adapter!(Notify);
//! ```
//!
//! See `docs/authoring-adapters.md` in the repository for the whole story: the world,
//! options, error classification, limits and grants, and testing with
//! `jido-dispatch adapter test`.

pub mod channel;
pub mod http;
pub mod incoming;
pub mod json;
pub mod log;
pub mod options;
pub mod outcome;
pub mod path;
pub mod transform;

/// Generated bindings of the `dispatch-view-adapter` world (imports and export traits).
#[expect(missing_docs, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "dispatch-view-adapter",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "jido_dispatch_sdk::bindings",
    });
}

pub use bindings::jido::dispatch::types::{Data, DeliveryError, ExtensionValue, Failure, Signal};
pub use incoming::Incoming;

/// Re-exported for [`export_adapter!`]; not part of the public API.
#[doc(hidden)]
pub use bindings::exports::jido::dispatch::view_adapter as __adapter;

/// A delivery adapter: what a component does with each signal.
///
/// Options are parsed and checked once, in [`Adapter::open`]; the host keeps the opened
/// value for as long as the component instance lives.
pub trait Adapter: Sized + 'static {
    /// The adapter's options. Deserialising fills defaults and rejects unknown keys
    /// (use `#[serde(deny_unknown_fields)]`); serialising gives the normalised form.
    type Options: serde::de::DeserializeOwned + serde::Serialize;

    /// Checks option values beyond their types (ranges, non-empty strings, …).
    /// The error should name the option, e.g. `timeout: must be 1..=60000`.
    fn check(_opts: &Self::Options) -> Result<(), String> {
        Ok(())
    }

    /// Builds the adapter from checked options.
    fn open(opts: Self::Options) -> Result<Self, String>;

    /// Delivers one signal.
    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError>;

    /// Delivers a batch; one result per signal, in order. Defaults to one `deliver` each.
    fn deliver_batch(&self, signals: &[Signal]) -> Vec<Result<(), DeliveryError>> {
        signals.iter().map(|s| self.deliver(s)).collect()
    }

    /// Delivers one signal lent by the host: what the component's `deliver` calls.
    /// Defaults to [`Adapter::deliver`] with a copy of the whole signal; an adapter that
    /// needs less (its type, its id, the CloudEvents JSON that the host encodes natively)
    /// overrides it and reads only that.
    fn deliver_incoming(&self, signal: Incoming<'_>) -> Result<(), DeliveryError> {
        self.deliver(&signal.signal())
    }

    /// Probes the destination. Defaults to healthy.
    fn health_check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Options parsed from JSON and passed through `check`: what `validate-opts` and `open` of
/// adapters and transforms both start with.
#[doc(hidden)]
pub fn __checked<O: serde::de::DeserializeOwned>(
    opts: &str,
    check: impl FnOnce(&O) -> Result<(), String>,
) -> Result<O, String> {
    let parsed: O = options::parse(opts)?;
    check(&parsed)?;
    Ok(parsed)
}

/// Options normalised to JSON (defaults filled in), as `validate-opts` returns them.
#[doc(hidden)]
pub fn __normalised<O: serde::Serialize>(parsed: &O) -> Result<String, String> {
    serde_json::to_string(parsed).map_err(|e| format!("cannot normalise options: {e}"))
}

/// Implementation of `validate-opts` for an [`Adapter`]; used by [`export_adapter!`].
#[doc(hidden)]
pub fn __validate<A: Adapter>(opts: &str) -> Result<String, String> {
    __normalised(&__checked(opts, A::check)?)
}

/// Implementation of `target.open` for an [`Adapter`]; used by [`export_adapter!`].
#[doc(hidden)]
pub fn __open<A: Adapter>(opts: &str) -> Result<A, String> {
    A::open(__checked(opts, A::check)?)
}

/// Exports a type implementing [`Adapter`] as this component's `view-adapter` interface
/// (world `dispatch-view-adapter`).
///
/// Use it once per component crate: `jido_dispatch_sdk::export_adapter!(MyAdapter);`.
#[macro_export]
macro_rules! export_adapter {
    ($ty:ty) => {
        #[doc(hidden)]
        pub struct __JidoComponent;

        impl $crate::__adapter::Guest for __JidoComponent {
            type Target = $ty;
            fn validate_opts(opts: String) -> Result<String, String> {
                $crate::__validate::<$ty>(&opts)
            }
        }

        impl $crate::__adapter::GuestTarget for $ty {
            fn open(opts: String) -> Result<$crate::__adapter::Target, String> {
                $crate::__open::<$ty>(&opts).map($crate::__adapter::Target::new)
            }
            fn deliver(&self, signal: &$crate::incoming::__SignalView) -> Result<(), $crate::DeliveryError> {
                <$ty as $crate::Adapter>::deliver_incoming(self, $crate::Incoming::__lent(signal))
            }
            fn deliver_batch(
                &self,
                signals: Vec<$crate::Signal>,
            ) -> Vec<Result<(), $crate::DeliveryError>> {
                <$ty as $crate::Adapter>::deliver_batch(self, &signals)
            }
            fn health_check(&self) -> Result<(), String> {
                <$ty as $crate::Adapter>::health_check(self)
            }
        }

        // Component exports exist only on wasm32; a native build of the crate (for
        // `cargo test --workspace` and clippy) links no export symbols.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::__export_world!(__JidoComponent with_types_in $crate::bindings);
    };
}
