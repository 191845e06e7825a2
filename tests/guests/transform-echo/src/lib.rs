//! Test-only transform of the `dispatch-transform` world, where the signal crosses into the
//! component and back by value (the Rust SDK builds the view world instead): it returns
//! every signal exactly as it was lowered into it, so a test that compares the delivered
//! signal with the original checks the host's lowering and lifting field by field.

wit_bindgen::generate!({
    world: "dispatch-transform",
    path: "../../../wit",
});

use exports::jido::dispatch::transform::{Guest, GuestTransformer, Transformer};
use jido::dispatch::types::Signal;

/// The exported component.
#[derive(Debug)]
pub struct Echo;

impl Guest for Echo {
    type Transformer = Echo;

    fn validate_opts(_opts: String) -> Result<String, String> {
        Ok("{}".to_owned())
    }
}

impl GuestTransformer for Echo {
    fn open(_opts: String) -> Result<Transformer, String> {
        Ok(Transformer::new(Echo))
    }

    fn transform(&self, signal: Signal) -> Result<Option<Signal>, String> {
        Ok(Some(signal))
    }
}

#[cfg(target_arch = "wasm32")]
export!(Echo);
