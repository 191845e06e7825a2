//! [`Incoming`]: a signal the host lends to one call of an adapter or a transform, read on
//! demand through the `view` import.
//!
//! Each read is a call into the host, which keeps the signal: an adapter or a transform
//! that needs only the type, the id or the CloudEvents JSON (encoded natively by the host)
//! never copies the signal's attributes into the component.

use crate::Signal;
use crate::bindings::jido::dispatch::view::SignalView;
/// Re-exported for the export macros; not public API.
#[doc(hidden)]
pub use crate::bindings::jido::dispatch::view::SignalView as __SignalView;

/// A signal read on demand: from the host inside a component, or from a [`Signal`] at hand
/// (tests, native use: `Incoming::from(&signal)`).
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a>(Source<'a>);

#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Host(&'a SignalView),
    Local(&'a Signal),
}

impl<'a> Incoming<'a> {
    /// The signal the host lent for this call.
    #[doc(hidden)]
    pub fn __lent(view: &'a SignalView) -> Self {
        Incoming(Source::Host(view))
    }

    /// A copy of the whole signal (e.g. to change it and answer
    /// [`Verdict::Replace`](crate::transform::Verdict::Replace)).
    pub fn signal(&self) -> Signal {
        match self.0 {
            Source::Host(view) => view.get(),
            Source::Local(signal) => signal.clone(),
        }
    }

    /// The signal's id.
    pub fn id(&self) -> String {
        match self.0 {
            Source::Host(view) => view.id(),
            Source::Local(signal) => signal.id.clone(),
        }
    }

    /// The signal's type.
    pub fn type_(&self) -> String {
        match self.0 {
            Source::Host(view) => view.type_(),
            Source::Local(signal) => signal.type_.clone(),
        }
    }

    /// The signal in CloudEvents' JSON structured mode, as [`crate::json::to_json`] encodes
    /// it (the host encodes it natively).
    pub fn to_json(&self) -> String {
        match self.0 {
            Source::Host(view) => view.to_json(),
            Source::Local(signal) => crate::json::to_json(signal),
        }
    }
}

impl<'a> From<&'a Signal> for Incoming<'a> {
    fn from(signal: &'a Signal) -> Self {
        Incoming(Source::Local(signal))
    }
}
