//! CloudEvents structured-mode JSON: parsing (with defaults and validation) and encoding.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{Data, ExtensionValue, JsonText, Signal, SignalError, id, validate};

/// Parses one structured-mode event.
pub fn parse(text: &str, default_source: Option<&str>) -> Result<Signal, SignalError> {
    let value: Value = serde_json::from_str(text).map_err(|e| SignalError::Json(e.to_string()))?;
    from_value(value, default_source)
}

/// Builds a signal from a JSON value holding one event.
pub fn from_value(value: Value, default_source: Option<&str>) -> Result<Signal, SignalError> {
    let Value::Object(mut obj) = value else {
        return Err(SignalError::Json("expected a JSON object".to_owned()));
    };
    let ty = validate::required("type", string(&mut obj, "type")?)?;
    let source = match string(&mut obj, "source")? {
        None => default_source.map(str::to_owned),
        given => given,
    };
    let source = validate::required("source", source)?;
    let id = match validate::optional("id", string(&mut obj, "id")?)? {
        Some(id) => id,
        None => id::new_id(),
    };
    let specversion = match string(&mut obj, "specversion")? {
        Some(v) => validate::specversion(&v)?,
        None => validate::specversion("1.0")?,
    };
    let subject = validate::optional("subject", string(&mut obj, "subject")?)?;
    let time = validate::time(string(&mut obj, "time")?)?;
    let datacontenttype = validate::optional("datacontenttype", string(&mut obj, "datacontenttype")?)?;
    let dataschema = validate::optional("dataschema", string(&mut obj, "dataschema")?)?;
    let data = data(&mut obj)?;
    let mut extensions = BTreeMap::new();
    for (name, value) in obj {
        validate::extension_name(&name)?;
        let value = match value {
            Value::Null => continue,
            Value::String(s) => ExtensionValue::Text(s),
            Value::Bool(b) => ExtensionValue::Boolean(b),
            Value::Number(n) if n.is_i64() => ExtensionValue::Integer(n.as_i64().unwrap_or_default()),
            _ => {
                return Err(SignalError::WrongType { name, expected: "a string, boolean or integer" });
            }
        };
        extensions.insert(name, value);
    }
    Ok(Signal {
        id,
        source,
        ty,
        specversion,
        subject,
        time: Some(time),
        datacontenttype,
        dataschema,
        data,
        extensions,
    })
}

/// Removes `name` from `obj`: absent or null → `None`, a string → `Some`, else an error.
fn string(obj: &mut Map<String, Value>, name: &str) -> Result<Option<String>, SignalError> {
    match obj.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SignalError::WrongType { name: name.to_owned(), expected: "a string" }),
    }
}

fn data(obj: &mut Map<String, Value>) -> Result<Option<Data>, SignalError> {
    let json = obj.remove("data");
    let base64 = obj.remove("data_base64");
    match (json, base64) {
        (Some(_), Some(_)) => Err(SignalError::DataConflict),
        (Some(Value::Null), None) | (None, None) => Ok(None),
        (Some(value), None) => Ok(Some(Data::Json(JsonText::from_value(&value)))),
        (None, Some(Value::String(encoded))) => base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map(|bytes| Some(Data::binary(bytes)))
            .map_err(|e| SignalError::Base64(e.to_string())),
        (None, Some(_)) => {
            Err(SignalError::WrongType { name: "data_base64".to_owned(), expected: "a string" })
        }
    }
}

/// Encodes `signal` as one line of structured-mode JSON, attributes in a fixed order.
pub fn encode(signal: &Signal) -> String {
    let mut out = String::with_capacity(192 + signal.data.as_ref().map_or(0, Data::len));
    out.push('{');
    let member = |out: &mut String, name: &str, value: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        push_str(out, name);
        out.push(':');
        push_str(out, value);
    };
    member(&mut out, "specversion", &signal.specversion);
    member(&mut out, "id", &signal.id);
    member(&mut out, "source", &signal.source);
    member(&mut out, "type", &signal.ty);
    let optional = [
        ("subject", &signal.subject),
        ("time", &signal.time),
        ("datacontenttype", &signal.datacontenttype),
        ("dataschema", &signal.dataschema),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            member(&mut out, name, value);
        }
    }
    for (name, value) in &signal.extensions {
        out.push(',');
        push_str(&mut out, name);
        out.push(':');
        match value {
            ExtensionValue::Text(text) => push_str(&mut out, text),
            ExtensionValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            ExtensionValue::Integer(i) => out.push_str(&i.to_string()),
        }
    }
    match &signal.data {
        Some(Data::Json(text)) => {
            out.push_str(",\"data\":");
            out.push_str(text.as_str());
        }
        Some(Data::Binary(bytes)) => {
            out.push_str(",\"data_base64\":\"");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push('"');
        }
        None => {}
    }
    out.push('}');
    out
}

fn push_str(out: &mut String, s: &str) {
    // serde_json's escaping is the reference; a string always serialises.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}
