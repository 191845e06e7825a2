//! The CloudEvents HTTP binding of `POST /signals`: arbitrary headers (binary mode's `ce-*`,
//! content types) and bodies never panic the parser.
#![no_main]

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use jido_dispatch::daemon::ingress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Layout: header lines `name: value` up to a blank line, then the body.
    let split = data.windows(2).position(|w| w == b"\n\n").unwrap_or(data.len());
    let (head, body) = (&data[..split], data.get(split + 2..).unwrap_or_default());
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(line[colon + 1..].trim_ascii()))
        else {
            continue;
        };
        headers.append(name, value);
    }
    let _ = ingress::parse(&headers, body, None);
    let _ = ingress::parse(&headers, body, Some("/fuzz"));
});
