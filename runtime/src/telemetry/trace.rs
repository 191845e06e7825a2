//! W3C trace context (`traceparent`): parsing, formatting and new ids.
//!
//! A signal carries its trace in the CloudEvents distributed-tracing extension
//! (`traceparent`, `tracestate`); at the HTTP ingress the W3C headers of the request stand in
//! for a signal that has none. Outgoing `http` requests carry the attempt's context as the
//! `traceparent` header.

use crate::signal::{ExtensionValue, Signal};

/// The extension (and header) name of the trace parent.
pub const TRACEPARENT: &str = "traceparent";
/// The extension (and header) name of the vendor trace state.
pub const TRACESTATE: &str = "tracestate";

/// One span's place in a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    /// The trace (never all zeros).
    pub trace_id: [u8; 16],
    /// The span (never all zeros).
    pub span_id: [u8; 8],
    /// Whether the trace is sampled (recorded).
    pub sampled: bool,
}

impl TraceContext {
    /// Parses a `traceparent` value: `00-<32 hex>-<16 hex>-<2 hex>` (a later version's longer
    /// value is read by its first four fields, as the recommendation says). `None` for
    /// anything malformed, version `ff` or all-zero ids.
    pub fn parse(text: &str) -> Option<TraceContext> {
        let text = text.trim();
        let bytes = text.as_bytes();
        if bytes.len() < 55 || (bytes.len() > 55 && (&text[..2] == "00" || bytes[55] != b'-')) {
            return None;
        }
        let version = hex::<1>(&text[0..2])?;
        if version[0] == 0xff || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let trace_id = hex::<16>(&text[3..35])?;
        let span_id = hex::<8>(&text[36..52])?;
        let flags = hex::<1>(&text[53..55])?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext { trace_id, span_id, sampled: flags[0] & 1 == 1 })
    }

    /// The `traceparent` value (version `00`).
    pub fn header(&self) -> String {
        let mut out = String::with_capacity(55);
        out.push_str("00-");
        push_hex(&mut out, &self.trace_id);
        out.push('-');
        push_hex(&mut out, &self.span_id);
        out.push_str(if self.sampled { "-01" } else { "-00" });
        out
    }

    /// A new trace (sampled) with a new root span.
    pub fn root() -> TraceContext {
        let mut trace_id = random::<16>();
        trace_id[0] |= 1; // never all zeros
        TraceContext { trace_id, span_id: new_span_id(), sampled: true }
    }

    /// A new span in the same trace.
    pub fn child(&self) -> TraceContext {
        TraceContext { span_id: new_span_id(), ..*self }
    }

    /// The trace a signal carries in its `traceparent` extension, if valid.
    pub fn of(signal: &Signal) -> Option<TraceContext> {
        match signal.extensions.get(TRACEPARENT) {
            Some(ExtensionValue::Text(text)) => TraceContext::parse(text),
            _ => None,
        }
    }
}

fn new_span_id() -> [u8; 8] {
    let mut id = random::<8>();
    id[0] |= 1;
    id
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let bytes = fastrand::u64(..).to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    out
}

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::TraceContext;

    #[test]
    fn traceparent_round_trips_and_bad_values_are_refused() {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = TraceContext::parse(text).expect("valid");
        assert_eq!(ctx.header(), text);
        assert!(ctx.sampled);
        assert_eq!(ctx.child().trace_id, ctx.trace_id);
        assert_ne!(ctx.child().span_id, ctx.span_id);
        assert!(
            TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later").is_some()
        );
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
        let root = TraceContext::root();
        assert_eq!(TraceContext::parse(&root.header()), Some(root));
    }
}
