//! The CloudEvents HTTP binding of `POST /signals`: structured
//! (`application/cloudevents+json`), batched (`application/cloudevents-batch+json`) and
//! binary (`ce-*` headers, the body is the data) mode. A batch is valid only if every event
//! in it is.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::signal::{Data, JsonText, Signal};

/// Why a request carries no acceptable signals; the HTTP status follows from the kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
        let decoded = header_text(value.as_bytes())
            .map_err(|e| IngressError::BadRequest(format!("header {name}: {e}")))?;
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

/// A `ce-*` header value as text. The CloudEvents HTTP binding percent-encodes values, but
/// the official SDKs do not all do it (the Python SDK sends `café 100%` unencoded, as
/// ISO-8859-1 bytes through Python's `http.client`), so decoding is liberal where it costs
/// nothing: raw bytes are read as UTF-8, or as ISO-8859-1 (HTTP's historical header charset)
/// when they are not UTF-8, and a `%` that does not start a valid escape is a literal `%`.
/// It stays strict where it protects: control characters (raw or escaped) are refused, and
/// percent-escapes must decode to UTF-8.
fn header_text(raw: &[u8]) -> Result<String, String> {
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(raw) {
        Ok(text) => text.into(),
        Err(_) => raw.iter().map(|&b| char::from(b)).collect::<String>().into(),
    };
    let raw = text.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = match (raw[i], raw.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => std::str::from_utf8(hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok()),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(raw[i]);
                i += 1;
            }
        }
    }
    if let Some(control) = out.iter().find(|b| b.is_ascii_control() && **b != b'\t') {
        return Err(format!("control character 0x{control:02x} is not allowed"));
    }
    String::from_utf8(out).map_err(|_| "percent-escapes that are not UTF-8".to_owned())
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
    fn header_values_from_real_sdks_are_read_liberally() {
        for (raw, expected) in [
            ("caf%C3%A9", "café"),
            ("café/ü 100%", "café/ü 100%"),
            ("50%-off %zz %4", "50%-off %zz %4"),
            ("a%20b", "a b"),
        ] {
            assert_eq!(header_text(raw.as_bytes()).as_deref(), Ok(expected), "{raw}");
        }
        assert!(header_text(b"a%00b").expect_err("escaped NUL").contains("control character 0x00"));
        assert!(header_text(b"a\x01b").expect_err("raw control").contains("control character 0x01"));
        assert_eq!(header_text(b"caf\xe9 100%").as_deref(), Ok("café 100%"), "ISO-8859-1 bytes");
        assert!(header_text(b"%C3").expect_err("half a character").contains("not UTF-8"));
        // Through the whole binary mode, with a raw UTF-8 header as the Python SDK sends it.
        let mut h =
            headers(&[("ce-specversion", "1.0"), ("ce-id", "x"), ("ce-source", "/s"), ("ce-type", "t")]);
        let raw = axum::http::HeaderValue::from_bytes("café/ü 100%".as_bytes()).expect("raw bytes");
        h.insert("ce-subject", raw);
        let signals = parse(&h, b"", None).expect("accepted");
        assert_eq!(signals[0].subject.as_deref(), Some("café/ü 100%"));
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
