//! The `format` template: literal text with `$id $type $source $subject $time $data`.
//!
//! Parsed once when the target opens; rendering is a walk over the parts.

use base64::Engine as _;
use jido_dispatch_sdk::{Data, Signal};

/// A placeholder of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Type,
    Source,
    Subject,
    Time,
    Data,
}

const FIELDS: [(&str, Field); 6] = [
    ("id", Field::Id),
    ("type", Field::Type),
    ("source", Field::Source),
    ("subject", Field::Subject),
    ("time", Field::Time),
    ("data", Field::Data),
];

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Field(Field),
}

/// A parsed message template.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `format`; `$$` is a literal `$`. Unknown placeholders are errors.
    pub fn parse(format: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(pos) = rest.find('$') {
            text.push_str(&rest[..pos]);
            rest = &rest[pos + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                text.push('$');
                rest = after;
                continue;
            }
            let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            let name = &rest[..len];
            let field = FIELDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).ok_or_else(|| {
                format!("unknown placeholder ${name}; known: $id, $type, $source, $subject, $time, $data")
            })?;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Field(field));
            rest = &rest[len..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// Renders the template for `signal`; absent attributes render as empty text.
    pub fn render(&self, signal: &Signal) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field(Field::Id) => out.push_str(&signal.id),
                Part::Field(Field::Type) => out.push_str(&signal.type_),
                Part::Field(Field::Source) => out.push_str(&signal.source),
                Part::Field(Field::Subject) => out.push_str(signal.subject.as_deref().unwrap_or("")),
                Part::Field(Field::Time) => out.push_str(signal.time.as_deref().unwrap_or("")),
                Part::Field(Field::Data) => match &signal.data {
                    Some(Data::Json(json)) => out.push_str(json),
                    Some(Data::Binary(bytes)) => {
                        out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
                    }
                    None => {}
                },
            }
        }
        out
    }
}
