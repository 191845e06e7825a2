//! A native Standard Webhooks v1 signer, the baseline the Wasm `webhook` adapter is compared
//! with (included by the benches that need it with `#[path]`).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The benchmarks' webhook secret.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under [`SECRET`].
pub fn standard_signature(id: &str, ts: &str, body: &[u8]) -> String {
    let key = base64::engine::general_purpose::STANDARD.decode(&SECRET[6..]).expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    for part in [id.as_bytes(), b".", ts.as_bytes(), b".", body] {
        mac.update(part);
    }
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}
