//! Test-only guest: tries to read a host file through `std::fs`, so the component imports
//! `wasi:filesystem` and the host must refuse to load it without the filesystem grant.

use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, outcome};

/// Takes no options.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {}

/// The opened target.
#[derive(Debug)]
pub struct ReadsFiles;

impl Adapter for ReadsFiles {
    type Options = Options;

    fn open(_opts: Options) -> Result<Self, String> {
        Ok(ReadsFiles)
    }

    fn deliver(&self, _signal: &Signal) -> Result<(), DeliveryError> {
        match std::fs::read_to_string("/etc/passwd") {
            Ok(text) => Err(outcome::permanent("leak", text)),
            Err(e) => Err(outcome::permanent("no_file", e.to_string())),
        }
    }
}

jido_dispatch_sdk::export_adapter!(ReadsFiles);
