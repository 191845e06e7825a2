//! Converting host signals and outcomes to and from their WIT forms.

use std::time::Duration;

use super::bindings::types as wit;
use crate::adapter::{DeliveryError, Failure};
use crate::signal::{Data, ExtensionValue, JsonText, Signal, SignalError};

/// The owned WIT form of `signal` (tests; calls lower [`SignalRef`](super::lowered::SignalRef),
/// which borrows).
#[cfg(test)]
pub fn signal_to_wit(signal: &Signal) -> wit::Signal {
    wit::Signal {
        id: signal.id.clone(),
        source: signal.source.clone(),
        type_: signal.ty.clone(),
        specversion: signal.specversion.clone(),
        subject: signal.subject.clone(),
        time: signal.time.clone(),
        datacontenttype: signal.datacontenttype.clone(),
        dataschema: signal.dataschema.clone(),
        data: signal.data.as_ref().map(|data| match data {
            Data::Json(text) => wit::Data::Json(text.as_str().to_owned()),
            Data::Binary(bytes) => wit::Data::Binary(bytes.to_vec()),
        }),
        extensions: signal
            .extensions
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    ExtensionValue::Text(t) => wit::ExtensionValue::Text(t.clone()),
                    ExtensionValue::Boolean(b) => wit::ExtensionValue::Boolean(*b),
                    ExtensionValue::Integer(i) => wit::ExtensionValue::Integer(*i),
                };
                (name.clone(), value)
            })
            .collect(),
    }
}

/// Caps a guest-supplied text so a hostile component cannot flood logs or stores.
const MAX_MESSAGE_BYTES: usize = 4096;

/// Truncates `text` to [`MAX_MESSAGE_BYTES`] on a character boundary.
pub fn cap_message(mut text: String) -> String {
    if text.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("… (truncated)");
    }
    text
}

/// The host form of a component's delivery error.
pub fn error_from_wit(error: wit::DeliveryError) -> DeliveryError {
    let convert = |f: wit::Failure| Failure {
        message: cap_message(f.message),
        code: f.code.map(cap_message),
        retry_after: f.retry_after_ms.map(Duration::from_millis),
    };
    match error {
        wit::DeliveryError::Retryable(f) => DeliveryError::Retryable(convert(f)),
        wit::DeliveryError::Permanent(f) => DeliveryError::Permanent(convert(f)),
    }
}

/// The host form of a signal a component handed back (e.g. to `publish-bus`): validated
/// like any signal from outside, since the component controls every byte of it.
pub fn signal_from_wit(signal: wit::Signal) -> Result<Signal, SignalError> {
    from_wit(signal, None)
}

/// The host form of the signal a transform returned for `original`: validated like
/// [`signal_from_wit`], except that JSON data equal to the original's (validated when the
/// original was accepted) is shared with it rather than parsed again.
pub fn transformed_from_wit(signal: wit::Signal, original: &Signal) -> Result<Signal, SignalError> {
    from_wit(signal, original.data.as_ref())
}

fn from_wit(signal: wit::Signal, known: Option<&Data>) -> Result<Signal, SignalError> {
    let mut builder =
        Signal::builder(signal.type_, signal.source).id(signal.id).specversion(signal.specversion);
    if let Some(subject) = signal.subject {
        builder = builder.subject(subject);
    }
    if let Some(time) = signal.time {
        builder = builder.time(time);
    }
    if let Some(v) = signal.datacontenttype {
        builder = builder.datacontenttype(v);
    }
    if let Some(v) = signal.dataschema {
        builder = builder.dataschema(v);
    }
    if let Some(data) = signal.data {
        builder = builder.data(match data {
            wit::Data::Json(text) => match known {
                Some(Data::Json(same)) if same.as_str() == text => Data::Json(same.clone()),
                _ => Data::Json(JsonText::parse(&text).map_err(|e| SignalError::Json(format!("data: {e}")))?),
            },
            wit::Data::Binary(bytes) => Data::binary(bytes),
        });
    }
    for (name, value) in signal.extensions {
        let value = match value {
            wit::ExtensionValue::Text(t) => ExtensionValue::Text(t),
            wit::ExtensionValue::Boolean(b) => ExtensionValue::Boolean(b),
            wit::ExtensionValue::Integer(i) => ExtensionValue::Integer(i),
        };
        builder = builder.extension(name, value);
    }
    builder.build()
}
