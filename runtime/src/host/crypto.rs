//! The [`crypto`](../../../wit/crypto.wit) import: HMAC-SHA256 computed natively (with the
//! CPU's SHA extensions where present), for guests that sign payloads.
//!
//! The cost is the host's CPU time, outside the guest's epoch budget; it is bounded by
//! what the guest can pass, i.e. its memory limit (64 MiB by default, ~30 ms of hashing).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::bindings::crypto::Host;
use super::state::HostState;

impl Host for HostState {
    async fn hmac_sha256(&mut self, key: Vec<u8>, parts: Vec<Vec<u8>>) -> Vec<u8> {
        hmac_sha256(&key, &parts)
    }
}

/// The same import for synchronous calls (`host/sync_io.rs`).
impl super::bindings::sync_calls::jido::dispatch::crypto::Host for HostState {
    fn hmac_sha256(&mut self, key: Vec<u8>, parts: Vec<Vec<u8>>) -> Vec<u8> {
        hmac_sha256(&key, &parts)
    }
}

/// HMAC-SHA256 of the concatenated `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[Vec<u8>]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return Vec::new() };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::hmac_sha256;

    #[test]
    fn matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ".to_vec(), b"for nothing?".to_vec()]);
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
