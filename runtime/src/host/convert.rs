//! Converting host signals and outcomes to and from their WIT forms.

use std::borrow::Cow;
use std::time::Duration;

use super::bindings::types as wit;
use super::bindings::view_transform_world::exports::jido::dispatch::view_transform::Payload;
use crate::adapter::{DeliveryError, Failure};
use crate::signal::{Data, ExtensionValue, JsonText, Signal, SignalError, validate};

/// The owned WIT form of `signal`, for tests (calls and `view.get` lower
/// [`SignalRef`](super::lowered::SignalRef), which borrows).
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

/// The host form of the signal a transform returned for `original`: `original` itself when
/// the transform changed nothing (a filter that lets it through), else validated like
/// [`signal_from_wit`], except that JSON data equal to the original's (validated when the
/// original was accepted) is shared with it rather than parsed again.
pub fn transformed_from_wit(signal: wit::Signal, original: &Signal) -> Result<Cow<'_, Signal>, SignalError> {
    if unchanged(&signal, original) {
        return Ok(Cow::Borrowed(original));
    }
    from_wit(signal, original.data.as_ref()).map(Cow::Owned)
}

/// Whether `returned` is `original`, field by field (extensions in the same order).
fn unchanged(returned: &wit::Signal, original: &Signal) -> bool {
    let data = match (&returned.data, &original.data) {
        (None, None) => true,
        (Some(wit::Data::Json(text)), Some(Data::Json(same))) => text == same.as_str(),
        (Some(wit::Data::Binary(bytes)), Some(Data::Binary(same))) => bytes[..] == same[..],
        _ => false,
    };
    let extension =
        |((name, value), (same_name, same)): (&(String, wit::ExtensionValue), (&String, &ExtensionValue))| {
            name == same_name
                && match (value, same) {
                    (wit::ExtensionValue::Text(t), ExtensionValue::Text(u)) => t == u,
                    (wit::ExtensionValue::Boolean(b), ExtensionValue::Boolean(c)) => b == c,
                    (wit::ExtensionValue::Integer(i), ExtensionValue::Integer(j)) => i == j,
                    _ => false,
                }
        };
    data && returned.id == original.id
        && returned.source == original.source
        && returned.type_ == original.ty
        && returned.specversion == original.specversion
        && returned.subject == original.subject
        && returned.time == original.time
        && returned.datacontenttype == original.datacontenttype
        && returned.dataschema == original.dataschema
        && returned.extensions.len() == original.extensions.len()
        && returned.extensions.iter().zip(&original.extensions).all(extension)
}

/// The signal a transform reshaped: `original` with the payload's `data` and
/// `datacontenttype` (checked as from outside; the rest was checked with `original`).
pub fn reshaped_from_wit(payload: Payload, original: &Signal) -> Result<Signal, SignalError> {
    Ok(Signal {
        id: original.id.clone(),
        source: original.source.clone(),
        ty: original.ty.clone(),
        specversion: original.specversion.clone(),
        subject: original.subject.clone(),
        time: original.time.clone(),
        datacontenttype: validate::optional("datacontenttype", payload.datacontenttype)?,
        dataschema: original.dataschema.clone(),
        data: payload.data.map(|data| data_from_wit(data, original.data.as_ref())).transpose()?,
        extensions: original.extensions.clone(),
    })
}

/// The host form of `data`; JSON text equal to `known`'s is shared with it, any other is
/// parsed (a component's JSON is checked like a producer's).
fn data_from_wit(data: wit::Data, known: Option<&Data>) -> Result<Data, SignalError> {
    Ok(match data {
        wit::Data::Json(text) => match known {
            Some(Data::Json(same)) if same.as_str() == text => Data::Json(same.clone()),
            _ => Data::Json(JsonText::parse(&text).map_err(|e| SignalError::Json(format!("data: {e}")))?),
        },
        wit::Data::Binary(bytes) => Data::binary(bytes),
    })
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
        builder = builder.data(data_from_wit(data, known)?);
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{Payload, reshaped_from_wit, signal_to_wit, transformed_from_wit, wit};
    use crate::signal::{Data, ExtensionValue, JsonText, Signal};

    fn full() -> Signal {
        Signal::builder("order.paid", "/shop")
            .id("o-1")
            .subject("order/1")
            .time("2026-12-03T10:00:00Z")
            .datacontenttype("application/json")
            .dataschema("https://example.com/order.json")
            .extension("tenant", ExtensionValue::Text("acme".to_owned()))
            .extension("replayed", ExtensionValue::Boolean(true))
            .data(Data::Json(JsonText::parse(r#"{"id":1}"#).expect("json")))
            .build()
            .expect("valid")
    }

    #[test]
    fn a_transform_output_equal_to_its_input_is_the_input_and_any_change_is_a_new_signal() {
        let original = full();
        let same = transformed_from_wit(signal_to_wit(&original), &original).expect("valid");
        assert!(matches!(same, Cow::Borrowed(s) if std::ptr::eq(s, &original)));

        let changes: [fn(&mut wit::Signal); 11] = [
            |s| s.id.push('x'),
            |s| s.source.push('x'),
            |s| s.type_.push('x'),
            |s| s.subject = None,
            |s| s.time = Some("2026-12-03T10:00:01Z".to_owned()),
            |s| s.datacontenttype = Some("text/json".to_owned()),
            |s| s.dataschema = None,
            |s| s.data = Some(wit::Data::Json(r#"{"id":2}"#.to_owned())),
            |s| s.data = Some(wit::Data::Binary(br#"{"id":1}"#.to_vec())),
            |s| s.extensions[0].1 = wit::ExtensionValue::Boolean(false),
            |s| {
                s.extensions.pop();
            },
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut returned = signal_to_wit(&original);
            change(&mut returned);
            let out = transformed_from_wit(returned, &original).expect("valid");
            assert!(matches!(out, Cow::Owned(_)), "change {i} was taken for no change");
            assert_ne!(out.to_json(), original.to_json(), "change {i}");
        }
    }

    #[test]
    fn a_reshaped_signal_keeps_every_other_attribute_and_its_payload_is_checked() {
        let original = full();
        let json = |text: &str| Payload {
            data: Some(wit::Data::Json(text.to_owned())),
            datacontenttype: Some("application/json".to_owned()),
        };
        let out = reshaped_from_wit(json(r#"{"text":"hi"}"#), &original).expect("valid");
        let mut expected = original.clone();
        expected.data = Some(Data::Json(JsonText::parse(r#"{"text":"hi"}"#).expect("json")));
        assert_eq!(out.to_json(), expected.to_json());

        let bytes = Payload { data: Some(wit::Data::Binary(vec![0, 1])), datacontenttype: None };
        let out = reshaped_from_wit(bytes, &original).expect("valid");
        assert_eq!((out.data, out.datacontenttype), (Some(Data::binary(vec![0, 1])), None));
        assert_eq!(out.extensions, original.extensions);

        let err = reshaped_from_wit(json("{not json"), &original).expect_err("refused");
        assert!(err.to_string().contains("data"), "{err}");
        let empty = Payload { data: None, datacontenttype: Some(String::new()) };
        let err = reshaped_from_wit(empty, &original).expect_err("refused");
        assert!(err.to_string().contains("datacontenttype"), "{err}");
    }
}
