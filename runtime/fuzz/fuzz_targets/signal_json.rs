//! Signal JSON (structured mode): parsing never panics, and what parses round-trips.
#![no_main]

use jido_dispatch::signal::Signal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(signal) = Signal::from_json(text) {
        let again = Signal::from_json(&signal.to_json()).expect("an encoded signal parses again");
        assert_eq!(again, signal, "structured JSON round-trips");
    }
    let _ = Signal::from_json_with_source(text, "/fuzz");
});
