//! The CloudEvents 1.0 structured-mode JSON encoding of a signal.
//!
//! Attributes come first in a fixed order, extensions are flattened to top-level members,
//! JSON data is embedded as JSON and binary data is carried as `data_base64`, exactly as
//! the host encodes signals, so a guest's output is byte-identical to the host's.

use base64::Engine as _;

use crate::{Data, ExtensionValue, Signal};

/// Encodes `signal` as one line of CloudEvents JSON.
pub fn to_json(signal: &Signal) -> String {
    let mut out = String::with_capacity(160 + data_len(signal));
    write_json(&mut out, signal);
    out
}

/// Appends the CloudEvents JSON encoding of `signal` to `out`.
pub fn write_json(out: &mut String, signal: &Signal) {
    out.push('{');
    member(out, "specversion", &signal.specversion, true);
    member(out, "id", &signal.id, false);
    member(out, "source", &signal.source, false);
    member(out, "type", &signal.type_, false);
    let optional = [
        ("subject", &signal.subject),
        ("time", &signal.time),
        ("datacontenttype", &signal.datacontenttype),
        ("dataschema", &signal.dataschema),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            member(out, name, value, false);
        }
    }
    for (name, value) in &signal.extensions {
        out.push(',');
        string(out, name);
        out.push(':');
        match value {
            ExtensionValue::Text(text) => string(out, text),
            ExtensionValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            ExtensionValue::Integer(i) => out.push_str(&i.to_string()),
        }
    }
    match &signal.data {
        Some(Data::Json(json)) => {
            out.push_str(",\"data\":");
            out.push_str(json);
        }
        Some(Data::Binary(bytes)) => {
            out.push_str(",\"data_base64\":\"");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push('"');
        }
        None => {}
    }
    out.push('}');
}

fn data_len(signal: &Signal) -> usize {
    match &signal.data {
        Some(Data::Json(json)) => json.len(),
        Some(Data::Binary(bytes)) => bytes.len() * 4 / 3 + 4,
        None => 0,
    }
}

fn member(out: &mut String, name: &str, value: &str, first: bool) {
    if !first {
        out.push(',');
    }
    string(out, name);
    out.push(':');
    string(out, value);
}

/// Appends `s` as a JSON string literal (quotes included).
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}
