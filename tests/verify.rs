//! Webhook signature verification written from the specifications (Standard Webhooks v1 and
//! the original Jido scheme), independently of the adapter's code, as a receiver would.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|e| panic!("hmac key: {e}"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The key bytes of a Standard Webhooks secret (`whsec_` + base64), or a raw secret.
fn key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => {
            base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_else(|e| panic!("whsec: {e}"))
        }
        None => secret.as_bytes().to_vec(),
    }
}

/// Standard Webhooks v1: does any `v1,` signature in `signature_header` match
/// HMAC-SHA256(key, "{id}.{timestamp}.{body}")?
pub fn standard(secret: &str, id: &str, timestamp: &str, body: &[u8], signature_header: &str) -> bool {
    let signed = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body].concat();
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac(&key(secret), &signed));
    signature_header.split(' ').any(|sig| sig.strip_prefix("v1,") == Some(expected.as_str()))
}

/// The original scheme: lowercase hex HMAC-SHA256(secret, "{timestamp}.{body}").
pub fn jido(secret: &str, timestamp: &str, body: &[u8], signature_header: &str) -> bool {
    let signed = [timestamp.as_bytes(), b".", body].concat();
    let expected: String = hmac(secret.as_bytes(), &signed).iter().map(|b| format!("{b:02x}")).collect();
    signature_header.split(' ').any(|sig| sig == expected)
}
