//! Helpers for adapters that deliver over the host's `http` import: option validation,
//! CloudEvents HTTP bodies (structured and binary mode), and classifying responses into
//! retryable and permanent failures.

use std::collections::BTreeMap;

pub use crate::bindings::jido::dispatch::http::{Error, Method, Request, Response, send, send_all};
use crate::{Data, DeliveryError, ExtensionValue, Signal, outcome};

/// The request methods the decisions allow for delivery: post, put, patch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMethod {
    /// POST (default).
    #[default]
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
}

impl DeliveryMethod {
    /// The WIT method.
    pub fn wit(self) -> Method {
        match self {
            DeliveryMethod::Post => Method::Post,
            DeliveryMethod::Put => Method::Put,
            DeliveryMethod::Patch => Method::Patch,
        }
    }
}

/// Content type of a structured-mode CloudEvent.
pub const STRUCTURED_CONTENT_TYPE: &str = "application/cloudevents+json; charset=utf-8";

/// Checks an absolute `http`/`https` URL without userinfo; the error names `option`.
pub fn check_url(option: &str, url: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("{option}: {why}, got {url:?}"));
    let Some((scheme, rest)) = url.split_once("://") else {
        return fail("expected an absolute http:// or https:// URL");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return fail("only http and https URLs are allowed");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return fail("userinfo (user:password@) is not allowed in the URL");
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    if host.is_empty() {
        return fail("the URL has no host");
    }
    if let Some((_, port)) = authority.rsplit_once(':').filter(|_| !authority.ends_with(']'))
        && !authority.starts_with('[')
        && port.parse::<u16>().is_err()
    {
        return fail("the port is not a number 0..=65535");
    }
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return fail("the URL contains spaces or control characters");
    }
    Ok(())
}

/// Whether `name` is an HTTP token (RFC 9110 `tchar`s).
pub fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks header names (tokens) and values (no CR, LF or NUL); the error names `option`.
pub fn check_headers(option: &str, headers: &BTreeMap<String, String>) -> Result<(), String> {
    for (name, value) in headers {
        if !is_token(name) {
            return Err(format!("{option}: header name {name:?} is not a valid token"));
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(format!(
                "{option}: header {name:?} has CR, LF or NUL in its value (header injection)"
            ));
        }
    }
    Ok(())
}

/// Checks `timeout` (1..=60000 ms) and `headers`, the options every HTTP adapter shares.
pub fn check_timeout_and_headers(timeout: u32, headers: &BTreeMap<String, String>) -> Result<(), String> {
    if !(1..=60_000).contains(&timeout) {
        return Err(format!("timeout: must be 1..=60000 milliseconds, got {timeout}"));
    }
    check_headers("headers", headers)
}

/// Adds `extra` headers to `base`, replacing same-named ones (case-insensitively).
pub fn merge_headers(
    mut base: Vec<(String, String)>,
    extra: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    base.retain(|(name, _)| !extra.keys().any(|k| k.eq_ignore_ascii_case(name)));
    base.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    base
}

/// The request body and headers of `signal` in CloudEvents structured mode.
pub fn structured(signal: &Signal) -> (Vec<(String, String)>, Vec<u8>) {
    structured_incoming(crate::Incoming::from(signal))
}

/// [`structured`] for a signal lent by the host, which encodes the JSON natively.
pub fn structured_incoming(signal: crate::Incoming<'_>) -> (Vec<(String, String)>, Vec<u8>) {
    let headers = vec![("content-type".to_owned(), STRUCTURED_CONTENT_TYPE.to_owned())];
    (headers, signal.to_json().into_bytes())
}

/// The request body and headers of `signal` in CloudEvents binary mode: attributes as
/// `ce-*` headers (values percent-encoded where HTTP needs it), data as the body.
pub fn binary(signal: &Signal) -> (Vec<(String, String)>, Vec<u8>) {
    let mut headers = vec![
        ("ce-specversion".to_owned(), signal.specversion.clone()),
        ("ce-id".to_owned(), encode_header(&signal.id)),
        ("ce-source".to_owned(), encode_header(&signal.source)),
        ("ce-type".to_owned(), encode_header(&signal.type_)),
    ];
    let optional =
        [("ce-subject", &signal.subject), ("ce-time", &signal.time), ("ce-dataschema", &signal.dataschema)];
    for (name, value) in optional {
        if let Some(value) = value {
            headers.push((name.to_owned(), encode_header(value)));
        }
    }
    for (name, value) in &signal.extensions {
        let value = match value {
            ExtensionValue::Text(text) => encode_header(text),
            ExtensionValue::Boolean(b) => b.to_string(),
            ExtensionValue::Integer(i) => i.to_string(),
        };
        headers.push((format!("ce-{name}"), value));
    }
    let (content_type, body) = match &signal.data {
        Some(Data::Json(text)) => (
            signal.datacontenttype.clone().unwrap_or_else(|| "application/json".to_owned()),
            text.clone().into_bytes(),
        ),
        Some(Data::Binary(bytes)) => (
            signal.datacontenttype.clone().unwrap_or_else(|| "application/octet-stream".to_owned()),
            bytes.clone(),
        ),
        None => (String::new(), Vec::new()),
    };
    if !content_type.is_empty() {
        headers.push(("content-type".to_owned(), content_type));
    }
    (headers, body)
}

/// Percent-encodes what the CloudEvents HTTP binding says to: anything outside printable
/// ASCII, and space, `"` and `%`.
fn encode_header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if (0x21..=0x7e).contains(&byte) && byte != b'"' && byte != b'%' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Turns the outcome of one request into the delivery's outcome: 2xx succeeds; 408, 425,
/// 429 and 5xx are retryable (passing on `Retry-After`); other statuses, 3xx included, are
/// permanent; transport failures are retryable, policy refusals permanent.
pub fn classify(url: &str, result: Result<Response, Error>) -> Result<(), DeliveryError> {
    match result {
        Ok(response) if (200..300).contains(&response.status) => Ok(()),
        Ok(response) => {
            let status = response.status;
            let code = format!("http_{status}");
            let snippet =
                String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).into_owned();
            let message = format!(
                "{url} answered {status}{}",
                if snippet.is_empty() { String::new() } else { format!(": {snippet}") }
            );
            if matches!(status, 408 | 425 | 429) || status >= 500 {
                match retry_after(&response.headers) {
                    Some(ms) => Err(outcome::retry_after(&code, message, ms)),
                    None => Err(outcome::retryable(&code, message)),
                }
            } else {
                Err(outcome::permanent(&code, message))
            }
        }
        Err(Error::Timeout) => Err(outcome::retryable("timeout", format!("{url} did not answer in time"))),
        Err(Error::Connect(why)) => Err(outcome::retryable("connect", format!("{url}: {why}"))),
        Err(Error::PoolTimeout) => {
            Err(outcome::retryable("pool_timeout", format!("{url}: no free connection-pool slot in time")))
        }
        Err(Error::Denied(why)) => Err(outcome::permanent("egress_denied", format!("{url}: {why}"))),
        Err(Error::InvalidRequest(why)) => {
            Err(outcome::permanent("invalid_request", format!("{url}: {why}")))
        }
        Err(Error::TooLarge(cap)) => {
            Err(outcome::permanent("too_large", format!("{url}: a body exceeded the {cap}-byte cap")))
        }
    }
}

/// `Retry-After` in milliseconds: delta-seconds, or an HTTP date measured from now.
pub fn retry_after(headers: &[(String, String)]) -> Option<u64> {
    let value = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))?.1.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = parse_http_date(value)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(at.saturating_sub(now).saturating_mul(1000))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else { return None };
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| m == month)? as u64 + 1;
    let (day, year): (u64, u64) = (day.parse().ok()?, year.parse().ok()?);
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, mo) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// A request with the given parts.
pub fn request(
    method: Method,
    url: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout_ms: u32,
) -> Request {
    Request { method, url: url.to_owned(), headers, body: Some(body), timeout_ms: Some(timeout_ms) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("url", "https://example.com/hook?x=1").is_ok());
        assert!(check_url("url", "http://127.0.0.1:8080").is_ok());
        assert!(check_url("url", "http://[::1]:80/x").is_ok());
        for bad in ["ftp://x", "example.com", "https://u:p@x", "https://", "http://x:99999", "http://a b"] {
            assert!(check_url("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_are_checked() {
        let ok: BTreeMap<String, String> = [("X-A".to_owned(), "v".to_owned())].into();
        assert!(check_headers("headers", &ok).is_ok());
        let injected: BTreeMap<String, String> = [("X-A".to_owned(), "v\r\nX-B: w".to_owned())].into();
        assert!(
            check_headers("headers", &injected).expect_err("injection refused").contains("header injection")
        );
        let bad_name: BTreeMap<String, String> = [("X A".to_owned(), "v".to_owned())].into();
        assert!(check_headers("headers", &bad_name).is_err());
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
