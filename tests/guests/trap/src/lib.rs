//! Test-only guest that misbehaves on demand, chosen by the signal's type:
//! - `trap`: panics (a Wasm trap);
//! - `spin`: loops forever (stopped by the host's time limit);
//! - `oom`: allocates until memory runs out (stopped by the host's memory limit);
//! - anything else: delivered successfully (proving a healthy instance serves it).

use jido_dispatch_sdk::{Adapter, DeliveryError, Signal};

/// Takes no options.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {}

/// The opened target.
#[derive(Debug)]
pub struct Trap;

impl Adapter for Trap {
    type Options = Options;

    fn open(_opts: Options) -> Result<Self, String> {
        Ok(Trap)
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        match signal.type_.as_str() {
            "trap" => panic!("asked to trap"),
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            _ => Ok(()),
        }
    }
}

jido_dispatch_sdk::export_adapter!(Trap);
