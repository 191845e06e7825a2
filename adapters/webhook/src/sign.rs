//! Webhook signatures: Standard Webhooks v1 and the original Jido scheme.

use base64::Engine as _;
use jido_dispatch_sdk::bindings::jido::dispatch::crypto;
use serde::{Deserialize, Serialize};

/// Which signature scheme to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Standard Webhooks v1 (default).
    #[default]
    Standard,
    /// The original Jido.Signal scheme.
    Jido,
}

impl Scheme {
    /// The signature header when `signature_header` is not given.
    pub fn default_header(self) -> &'static str {
        match self {
            Scheme::Standard => "webhook-signature",
            Scheme::Jido => "x-webhook-signature",
        }
    }
}

/// A signing key: the secret's bytes (`whsec_` secrets are base64-decoded).
#[derive(Debug, Clone)]
pub struct Key(Vec<u8>);

impl Key {
    /// Parses a secret; empty secrets and bad `whsec_` base64 are refused.
    pub fn parse(secret: &str) -> Result<Key, String> {
        if secret.is_empty() {
            return Err("secret: must not be empty".to_owned());
        }
        match secret.strip_prefix("whsec_") {
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(Key)
                .map_err(|e| format!("secret: a whsec_ secret must be base64 after the prefix ({e})")),
            None => Ok(Key(secret.as_bytes().to_vec())),
        }
    }

    /// HMAC-SHA256 through the host's `crypto` import (native SHA instructions; ~8x the
    /// guest's speed on large bodies, see BENCHMARKS.md). The key and the exact bytes
    /// signed are the adapter's own.
    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        let parts: Vec<Vec<u8>> = parts.iter().map(|p| p.to_vec()).collect();
        crypto::hmac_sha256(&self.0, &parts)
    }
}

/// Unix seconds now.
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The signature headers for `body` (exactly the bytes that will be sent).
pub fn headers(
    scheme: Scheme,
    keys: &[Key],
    signature_header: &str,
    id: &str,
    timestamp: u64,
    event: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let ts = timestamp.to_string();
    let mut out = Vec::with_capacity(4);
    match scheme {
        Scheme::Standard => {
            out.push(("webhook-id".to_owned(), id.to_owned()));
            out.push(("webhook-timestamp".to_owned(), ts.clone()));
            if !keys.is_empty() {
                let signatures: Vec<String> = keys
                    .iter()
                    .map(|key| {
                        let mac = key.mac(&[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
                        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac))
                    })
                    .collect();
                out.push((signature_header.to_owned(), signatures.join(" ")));
            }
        }
        Scheme::Jido => {
            out.push(("x-webhook-timestamp".to_owned(), ts.clone()));
            out.push(("x-webhook-event".to_owned(), event.to_owned()));
            if !keys.is_empty() {
                let signatures: Vec<String> =
                    keys.iter().map(|key| hex::encode(key.mac(&[ts.as_bytes(), b".", body]))).collect();
                out.push((signature_header.to_owned(), signatures.join(" ")));
            }
        }
    }
    out
}
