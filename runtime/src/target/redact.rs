//! Secrets never leave: what admin responses, the CLI and dead-letter listings show of a
//! target. Secret option values and credential-like headers are replaced by a fingerprint
//! (`"redacted:sha256:1a2b3c4d"`, the first 32 bits of the value's SHA-256: enough to tell
//! two secrets apart or match one you hold, too little to recover it).
//!
//! Secret are: the options `secret`, `secrets`, `password`, `token`, `api_key` and the like
//! ([`SECRET_OPTIONS`]), every option an adapter's profile declares in `secret_options`, and
//! in `headers` every header whose name looks like a credential (`Authorization`, `Cookie`,
//! `X-Api-Key`, anything with `auth`, `token`, `secret`, `key`, `password`, `cookie`,
//! `session` or `signature` in it).

use serde_json::{Map, Value};
use sha2::Digest as _;

use super::TargetSpec;

/// Option names that are secret for every adapter.
pub const SECRET_OPTIONS: &[&str] = &[
    "secret",
    "secrets",
    "password",
    "token",
    "api_key",
    "apikey",
    "access_token",
    "auth_token",
    "client_secret",
    "private_key",
    "signing_key",
];

/// Parts of a header name that make it a credential.
const CREDENTIAL_HEADER_PARTS: &[&str] =
    &["auth", "token", "secret", "key", "password", "cookie", "session", "signature", "credential"];

/// The fingerprint shown instead of a secret string.
pub fn fingerprint(secret: &str) -> String {
    let digest = sha2::Sha256::digest(secret.as_bytes());
    format!("redacted:sha256:{}", hex::encode(&digest[..4]))
}

/// Whether a header called `name` carries a credential.
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_HEADER_PARTS.iter().any(|part| name.contains(part))
}

/// `value` with every string in it fingerprinted (numbers and booleans count as text too).
fn hide(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Array(items) => Value::Array(items.iter().map(hide).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), hide(v))).collect()),
        Value::String(text) => Value::String(fingerprint(text)),
        other => Value::String(fingerprint(&other.to_string())),
    }
}

/// `headers` as targets write them (a table, or a list of `[name, value]` pairs) with the
/// credential-like ones fingerprinted.
fn hide_headers(headers: &Value) -> Value {
    match headers {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(name, value)| {
                    let shown = if is_credential_header(name) { hide(value) } else { value.clone() };
                    (name.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(pairs) => Value::Array(
            pairs
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(name), value]) if is_credential_header(name) => {
                        Value::Array(vec![Value::String(name.clone()), hide(value)])
                    }
                    Some(_) => pair.clone(),
                    // A shape we do not know: show nothing of it.
                    None => hide(pair),
                })
                .collect(),
        ),
        other => hide(other),
    }
}

/// `options` with secrets fingerprinted; `declared` are the adapter's own secret options.
pub fn redact_options(options: &Map<String, Value>, declared: &[String]) -> Map<String, Value> {
    options
        .iter()
        .map(|(key, value)| {
            let lower = key.to_ascii_lowercase();
            let shown = if SECRET_OPTIONS.contains(&lower.as_str()) || declared.iter().any(|d| d == key) {
                hide(value)
            } else if lower == "headers" {
                hide_headers(value)
            } else {
                value.clone()
            };
            (key.clone(), shown)
        })
        .collect()
}

/// Shortest value [`scrub`] hides (shorter ones would blank out ordinary words).
const MIN_SCRUBBED: usize = 4;

/// Every secret string in `options` (as [`redact_options`] sees them), longest first.
pub(crate) fn secret_values(options: &Map<String, Value>, declared: &[String]) -> Vec<String> {
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Null => {}
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            Value::String(text) => out.push(text.clone()),
            other => out.push(other.to_string()),
        }
    }
    let mut out = Vec::new();
    for (key, value) in options {
        let lower = key.to_ascii_lowercase();
        if SECRET_OPTIONS.contains(&lower.as_str()) || declared.iter().any(|d| d == key) {
            strings(value, &mut out);
        } else if lower == "headers" {
            let credentials: Vec<&Value> = match value {
                Value::Object(map) => {
                    map.iter().filter(|(n, _)| is_credential_header(n)).map(|(_, v)| v).collect()
                }
                Value::Array(pairs) => pairs
                    .iter()
                    .filter_map(|pair| match pair.as_array().map(Vec::as_slice) {
                        Some([Value::String(name), value]) if is_credential_header(name) => Some(value),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            credentials.into_iter().for_each(|v| strings(v, &mut out));
        }
    }
    out.retain(|s| s.len() >= MIN_SCRUBBED);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `message` with every occurrence of a `secrets` value replaced by its fingerprint (an
/// adapter's failure message may quote an option, e.g. a URL an adapter declares secret).
pub(crate) fn scrub(message: &str, secrets: &[String]) -> Option<String> {
    let mut scrubbed: Option<String> = None;
    for secret in secrets {
        let text = scrubbed.as_deref().unwrap_or(message);
        if text.contains(secret.as_str()) {
            scrubbed = Some(text.replace(secret.as_str(), &fingerprint(secret)));
        }
    }
    scrubbed
}

impl TargetSpec {
    /// The whole target as [`to_value`](Self::to_value) shows it, with its secrets
    /// fingerprinted; `declared` are its adapter's own secret options (its profile's
    /// `secret_options`).
    pub fn to_redacted_value(&self, declared: &[String]) -> Value {
        let mut all = redact_options(&self.options, declared);
        all.extend(self.host.clone());
        all.insert("adapter".to_owned(), Value::String(self.adapter.clone()));
        Value::Object(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_scrubbed_from_messages_longest_first() {
        let spec = TargetSpec::from_value(json!({
            "adapter": "slack", "url": "https://hooks.example.com/services/T1/B2/xyz",
            "secret": "abc", "token": "tok-1234", "headers": [["Authorization", "Bearer tok-1234-long"]]
        }))
        .expect("target");
        let secrets = secret_values(&spec.options, &["url".to_owned()]);
        assert_eq!(
            secrets,
            ["https://hooks.example.com/services/T1/B2/xyz", "Bearer tok-1234-long", "tok-1234"]
        );
        let message = "https://hooks.example.com/services/T1/B2/xyz answered 403: Bearer tok-1234-long";
        let scrubbed = scrub(message, &secrets).expect("scrubbed");
        assert!(!scrubbed.contains("xyz") && !scrubbed.contains("tok-1234"), "{scrubbed}");
        assert!(scrubbed.starts_with("redacted:sha256:") && scrubbed.contains(" answered 403: redacted:"));
        assert_eq!(scrub("nothing secret here", &secrets), None);
    }

    #[test]
    fn secrets_and_credential_headers_become_fingerprints() {
        let spec = TargetSpec::from_value(json!({
            "adapter": "webhook", "url": "https://example.com/hook", "secret": "whsec_c2VjcmV0",
            "secrets": ["one", "two"], "retry_policy": {"max_retries": 2},
            "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k-1", "X-Tenant": "acme"},
            "dsn": "postgres://u:p@h/db"
        }))
        .expect("target");
        let shown = spec.to_redacted_value(&["dsn".to_owned()]);
        let text = shown.to_string();
        for secret in ["whsec_c2VjcmV0", "one", "two", "Bearer abc", "k-1", "postgres://"] {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
        assert_eq!(shown["secret"], json!(fingerprint("whsec_c2VjcmV0")));
        assert_eq!(shown["secrets"][1], json!(fingerprint("two")));
        assert_eq!(shown["headers"]["X-Tenant"], "acme");
        assert_eq!(shown["url"], "https://example.com/hook");
        assert_eq!(shown["retry_policy"]["max_retries"], 2);
        assert!(fingerprint("x").starts_with("redacted:sha256:") && fingerprint("x").len() == 24);
    }

    #[test]
    fn header_lists_are_redacted_pair_by_pair() {
        let headers = json!([["cookie", "s=1"], ["accept", "text/plain"], "odd"]);
        let shown = hide_headers(&headers);
        assert_eq!(shown[0][1], json!(fingerprint("s=1")));
        assert_eq!(shown[1][1], "text/plain");
        assert_eq!(shown[2], json!(fingerprint("odd")));
    }
}
