//! Test-only guest: a hostile tenant adapter. The signal's type picks the attack; the
//! subject, when needed, is its argument (a URL, a mailbox name):
//! - `loop` (or `spin`): spins forever; `oom`: allocates until refused; `recurse`: unbounded
//!   recursion;
//! - `leak`: keeps 1 MiB per call (a runtime that never frees);
//! - `panic` (or `trap`): traps; `logflood`: a million log records;
//! - `fetch`: GETs the URL in the subject (granted and denied origins, huge responses,
//!   private addresses, names resolving to loopback);
//! - `send`: sends to the mailbox or topic the subject names (`named:NAME`, `pid:ID`,
//!   `global:NAME`, `topic:NAME`), for grant checks;
//! - `env`: looks for the host's environment and arguments (fails if it sees any);
//! - `badutf8`: returns an error message that is not UTF-8; `hugeerror`: a 4 MiB one;
//! - anything else: delivered (the instance is healthy).

use jido_dispatch_sdk::bindings::jido::dispatch::channel::{self, Address};
use jido_dispatch_sdk::http::{self as h, Method};
use jido_dispatch_sdk::{Adapter, DeliveryError, Failure, Signal, outcome};

/// Sends to the mailbox or topic the subject names: `pid:ID`, `named:NAME`,
/// `global:NAME` or `topic:NAME` (a local broadcast).
fn send(signal: &Signal) -> Result<(), DeliveryError> {
    let subject = subject(signal);
    let Some((kind, name)) = subject.split_once(':') else {
        return Err(outcome::permanent("bad_subject", "subject must be KIND:NAME"));
    };
    let to = match kind {
        "pid" => Address::Pid(name.to_owned()),
        "named" => Address::Named(name.to_owned()),
        "global" => Address::Global(name.to_owned()),
        "topic" => {
            return channel::publish(None, name, signal, true)
                .map_err(|e| jido_dispatch_sdk::channel::send_error(e, name, 0));
        }
        _ => return Err(outcome::permanent("bad_subject", format!("unknown kind `{kind}`"))),
    };
    jido_dispatch_sdk::channel::send(&to, name, signal, true, 1000)
}

/// Takes no options.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {}

/// The opened target.
#[derive(Debug)]
pub struct Hostile;

/// Recurses until the Wasm call stack runs out (the `black_box` hides that it never
/// stops). No locals live in linear memory, so it is the engine's stack limit that ends it,
/// not Rust's shadow stack running into the data segment.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(std::hint::black_box(1))
}

fn subject(signal: &Signal) -> String {
    signal.subject.clone().unwrap_or_default()
}

impl Adapter for Hostile {
    type Options = Options;

    fn open(_opts: Options) -> Result<Self, String> {
        Ok(Hostile)
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        match signal.type_.as_str() {
            "loop" | "spin" => {
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
            "leak" => {
                // Keeps 1 MiB per call, like a runtime that never gives memory back.
                std::mem::forget(std::hint::black_box(vec![7u8; 1 << 20]));
                Ok(())
            }
            "recurse" => {
                std::hint::black_box(recurse(0));
                Ok(())
            }
            "panic" | "trap" => panic!("hostile adapter panics"),
            "logflood" => {
                for i in 0..1_000_000u32 {
                    jido_dispatch_sdk::log::info(&format!("flood {i}"));
                }
                Ok(())
            }
            "fetch" => {
                let url = subject(signal);
                let request = h::Request {
                    method: Method::Get,
                    url: url.clone(),
                    headers: Vec::new(),
                    body: None,
                    timeout_ms: Some(5000),
                };
                h::classify(&url, h::send(&request))
            }
            "send" => send(signal),
            "env" => {
                let vars: Vec<(String, String)> = std::env::vars().collect();
                let args: Vec<String> = std::env::args().collect();
                if vars.is_empty() && args.is_empty() {
                    Ok(())
                } else {
                    Err(outcome::permanent("leak", format!("saw env {vars:?} and args {args:?}")))
                }
            }
            "badutf8" => {
                // SAFETY: deliberately not UTF-8; the host must refuse to lift it.
                let garbage = unsafe { String::from_utf8_unchecked(vec![0xff, 0xfe, 0xfd]) };
                Err(DeliveryError::Permanent(Failure { message: garbage, code: None, retry_after_ms: None }))
            }
            "hugeerror" => Err(outcome::permanent("huge", "E".repeat(4 << 20))),
            _ => Ok(()),
        }
    }
}

jido_dispatch_sdk::export_adapter!(Hostile);
