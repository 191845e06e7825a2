//! Test-only transform. The signal's type picks what it does:
//! - `t.loop`: spins forever; `t.oom`: allocates until refused; `t.trap`: panics;
//! - `t.error`: returns an error; `t.invalid`: returns a signal with an empty id;
//! - `t.drop`: drops the signal; `t.sleep`: sleeps 5 ms (a wait on a WASI clock), then passes it;
//! - `t.badjson`: reshapes the signal to a payload that is not JSON;
//! - `t.shape`: reshapes it (a new payload only) to `{"mark": <mark option>, "type": …}`;
//! - anything else: replaces it with a copy whose `data` is
//!   `{"mark": <mark option>, "type": …, "original": <data>}`.

use jido_dispatch_sdk::Data;
use jido_dispatch_sdk::transform::{Incoming, Transform, Verdict};
use serde::{Deserialize, Serialize};

/// Options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// What reshaped signals are marked with.
    #[serde(default = "default_mark")]
    pub mark: String,
    /// Accepted and ignored, so that the probe can replace the Slack-message example
    /// transform under its live targets in the reload test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

fn default_mark() -> String {
    "probe".to_owned()
}

/// The opened transform.
#[derive(Debug)]
pub struct Probe(Options);

impl Transform for Probe {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        if opts.mark.is_empty() {
            return Err("mark: must not be empty".to_owned());
        }
        Ok(())
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(Probe(opts))
    }

    fn transform(&self, incoming: Incoming<'_>) -> Result<Verdict, String> {
        match incoming.type_().as_str() {
            "t.loop" => loop {
                std::hint::black_box(0u64);
            },
            "t.oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "t.trap" => panic!("the probe transform was told to trap"),
            "t.sleep" => {
                // Waits on a WASI clock: fine when called async, refused when called
                // synchronously (the host cannot give up its thread).
                std::thread::sleep(std::time::Duration::from_millis(5));
                Ok(Verdict::Keep)
            }
            "t.error" => Err(format!("refused {} by request", incoming.signal().id)),
            "t.invalid" => {
                let mut signal = incoming.signal();
                signal.id.clear();
                Ok(Verdict::Replace(signal))
            }
            "t.drop" => Ok(Verdict::Drop),
            "t.badjson" => Ok(Verdict::json_data("{not json".to_owned())),
            "t.shape" => Ok(Verdict::json_data(
                serde_json::json!({"mark": self.0.mark, "type": "t.shape"}).to_string(),
            )),
            _ => {
                let mut signal = incoming.signal();
                let original: serde_json::Value = match &signal.data {
                    Some(Data::Json(text)) => serde_json::from_str(text).unwrap_or(serde_json::Value::Null),
                    _ => serde_json::Value::Null,
                };
                let shaped =
                    serde_json::json!({"mark": self.0.mark, "type": signal.type_, "original": original});
                signal.data = Some(Data::Json(shaped.to_string()));
                signal.datacontenttype = Some("application/json".to_owned());
                Ok(Verdict::Replace(signal))
            }
        }
    }
}

jido_dispatch_sdk::export_transform!(Probe);
