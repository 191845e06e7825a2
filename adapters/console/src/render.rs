//! Rendering of a signal in the three console formats.

use jido_dispatch_sdk::{Data, ExtensionValue, Signal, json};

use crate::Format;

const BOLD_CYAN: &str = "\x1b[1;36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Renders `signal` in `format`, without a trailing newline.
pub fn render(signal: &Signal, format: Format, colors: bool) -> String {
    match format {
        Format::Json => json::to_json(signal),
        Format::Compact => compact(signal, colors),
        Format::Pretty => pretty(signal, colors),
    }
}

fn paint(colors: bool, style: &str, text: &str) -> String {
    if colors { format!("{style}{text}{RESET}") } else { text.to_owned() }
}

fn compact(signal: &Signal, colors: bool) -> String {
    let time = signal.time.as_deref().unwrap_or("-");
    format!(
        "{} {} {} {}",
        paint(colors, DIM, time),
        paint(colors, BOLD_CYAN, &signal.type_),
        signal.source,
        paint(colors, DIM, &signal.id)
    )
}

fn pretty(signal: &Signal, colors: bool) -> String {
    let mut out = format!("{} from {}\n", paint(colors, BOLD_CYAN, &signal.type_), signal.source);
    let mut line = |name: &str, value: &str| {
        out.push_str(&format!("  {} {value}\n", paint(colors, DIM, &format!("{name}:"))));
    };
    line("id", &signal.id);
    let optional = [
        ("subject", &signal.subject),
        ("time", &signal.time),
        ("datacontenttype", &signal.datacontenttype),
        ("dataschema", &signal.dataschema),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            line(name, value);
        }
    }
    for (name, value) in &signal.extensions {
        let value = match value {
            ExtensionValue::Text(text) => text.clone(),
            ExtensionValue::Boolean(b) => b.to_string(),
            ExtensionValue::Integer(i) => i.to_string(),
        };
        line(name, &value);
    }
    match &signal.data {
        Some(Data::Json(text)) => {
            let shown = serde_json::from_str::<serde_json::Value>(text)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| text.clone());
            line("data", &shown.replace('\n', "\n  "));
        }
        Some(Data::Binary(bytes)) => line("data", &format!("<{} bytes>", bytes.len())),
        None => {}
    }
    out.truncate(out.trim_end().len());
    out
}
