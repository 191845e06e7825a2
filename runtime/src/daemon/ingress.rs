//! The CloudEvents HTTP binding of `POST /signals`: structured
//! (`application/cloudevents+json`), batched (`application/cloudevents-batch+json`) and
//! binary (`ce-*` headers, the body is the data) mode. A batch is valid only if every event
//! in it is.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::signal::{Data, JsonText, Signal};

/// Why a request carries no acceptable signals; the HTTP status follows from the kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngressError {
    /// Malformed input (400).
    #[error("{0}")]
    BadRequest(String),
    /// A content type the binding does not know (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
}

const STRUCTURED: &str = "application/cloudevents+json";
const BATCH: &str = "application/cloudevents-batch+json";

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// The signals of one request.
pub fn parse(
    headers: &HeaderMap,
    body: &[u8],
    default_source: Option<&str>,
) -> Result<Vec<Signal>, IngressError> {
    if headers.contains_key("ce-specversion") {
        return binary(headers, body, default_source).map(|s| vec![s]);
    }
    match media_type(headers).as_deref() {
        Some(STRUCTURED) => {
            let value = json(body)?;
            if !value.is_object() {
                return Err(IngressError::BadRequest("a structured event must be a JSON object".to_owned()));
            }
            event(value, default_source).map(|s| vec![s])
        }
        Some(BATCH) => {
            let Value::Array(events) = json(body)? else {
                return Err(IngressError::BadRequest("a batch must be a JSON array of events".to_owned()));
            };
            if events.is_empty() {
                return Err(IngressError::BadRequest("the batch is empty".to_owned()));
            }
            events
                .into_iter()
                .enumerate()
                .map(|(i, value)| {
                    if !value.is_object() {
                        return Err(IngressError::BadRequest(format!("event {i}: must be a JSON object")));
                    }
                    event(value, default_source)
                        .map_err(|e| IngressError::BadRequest(format!("event {i}: {e}")))
                })
                .collect()
        }
        other => Err(IngressError::UnsupportedMediaType(format!(
            "unsupported content type {}: send `{STRUCTURED}` (one event), `{BATCH}` (an array), or \
             binary mode with `ce-specversion`, `ce-id`, `ce-source` and `ce-type` headers",
            other.map_or_else(|| "(none)".to_owned(), |t| format!("`{t}`"))
        ))),
    }
}

fn json(body: &[u8]) -> Result<Value, IngressError> {
    serde_json::from_slice(body).map_err(|e| IngressError::BadRequest(format!("invalid JSON: {e}")))
}

fn event(value: Value, default_source: Option<&str>) -> Result<Signal, IngressError> {
    Signal::from_value(value, default_source).map_err(|e| IngressError::BadRequest(e.to_string()))
}

/// Binary mode: attributes from `ce-*` headers, `datacontenttype` from `Content-Type`, the
/// body as data (JSON when the content type is JSON, bytes otherwise).
fn binary(headers: &HeaderMap, body: &[u8], default_source: Option<&str>) -> Result<Signal, IngressError> {
    let mut object = Map::new();
    for (name, value) in headers {
        let Some(attribute) = name.as_str().strip_prefix("ce-") else { continue };
        let text = value
            .to_str()
            .map_err(|_| IngressError::BadRequest(format!("header {name}: not visible ASCII")))?;
        let decoded =
            percent_decode(text).map_err(|e| IngressError::BadRequest(format!("header {name}: {e}")))?;
        object.insert(attribute.to_owned(), Value::String(decoded));
    }
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if let Some(content_type) = content_type {
        object.insert("datacontenttype".to_owned(), Value::String(content_type.to_owned()));
    }
    let mut signal = event(Value::Object(object), default_source)?;
    if !body.is_empty() {
        let is_json = media_type(headers).is_some_and(|t| t == "application/json" || t.ends_with("+json"));
        signal.data = Some(if is_json {
            let text = std::str::from_utf8(body)
                .map_err(|_| IngressError::BadRequest("data: JSON body is not UTF-8".to_owned()))?;
            Data::Json(
                JsonText::parse(text)
                    .map_err(|e| IngressError::BadRequest(format!("data: invalid JSON: {e}")))?,
            )
        } else {
            Data::binary(body.to_vec())
        });
    }
    Ok(signal)
}

/// Header values are percent-encoded in the CloudEvents HTTP binding.
fn percent_decode(text: &str) -> Result<String, String> {
    if !text.contains('%') {
        return Ok(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or("truncated percent escape")?;
            let hex = std::str::from_utf8(hex).map_err(|_| "bad percent escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad percent escape %{hex}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decoded value is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn binary_mode_reads_ce_headers_and_json_data() {
        let h = headers(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "a-1"),
            ("ce-source", "/shop"),
            ("ce-type", "order.placed"),
            ("ce-subject", "caf%C3%A9"),
            ("ce-tenant", "acme"),
            ("content-type", "application/json"),
        ]);
        let signals = parse(&h, br#"{"n":1}"#, None).expect("valid");
        let s = &signals[0];
        assert_eq!(
            (s.id.as_str(), s.ty.as_str(), s.subject.as_deref()),
            ("a-1", "order.placed", Some("café"))
        );
        assert!(matches!(&s.data, Some(Data::Json(text)) if text.as_str() == r#"{"n":1}"#), "{:?}", s.data);
        assert!(s.to_json().contains(r#""tenant":"acme""#));
    }

    #[test]
    fn bad_input_names_the_problem() {
        let structured = headers(&[("content-type", STRUCTURED)]);
        let batch = headers(&[("content-type", BATCH)]);
        let cases: [(&HeaderMap, &[u8], &str); 5] = [
            (&structured, b"{nope", "invalid JSON"),
            (&structured, br#"{"source":"/s"}"#, "type"),
            (&batch, br#"[]"#, "the batch is empty"),
            (&batch, br#"[{"type":"a","source":"/s"},{"type":"b"}]"#, "event 1:"),
            (&headers(&[("content-type", "text/plain")]), b"x", "unsupported content type `text/plain`"),
        ];
        for (h, body, message) in cases {
            let err = parse(h, body, None).expect_err("refused");
            assert!(err.to_string().contains(message), "{message}: {err}");
        }
    }
}
