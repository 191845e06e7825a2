//! The `template` transform: builds a signal's new JSON `data` from a template whose
//! strings refer to the original signal with `$` variables.
//!
//! `$type`, `$id`, `$source`, `$subject`, `$time`, any extension by name, `$data` and paths
//! into it (`$data.order.id`, `$data.items[0].sku`); `${data.amount}` delimits a variable
//! inside text and `$$` is a literal `$`. A string that is exactly one variable takes the
//! variable's JSON value (a number stays a number); inside text, strings are inserted as
//! they are and other values as JSON. The template is parsed once, when a target opens.

use jido_dispatch_sdk::path::Path;
use jido_dispatch_sdk::transform::{Incoming, Transform, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `template` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The new `data`: any JSON value; its strings may hold `$` variables.
    pub template: Value,
    /// What a variable with no value becomes: `null` (default; empty inside text), or
    /// `fail` (the delivery fails, naming the variable) or `drop` (the signal is dropped
    /// for this target).
    #[serde(default)]
    pub missing: Missing,
}

/// What a missing variable does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Null, or empty text.
    #[default]
    Null,
    /// The transform fails.
    Fail,
    /// The signal is dropped.
    Drop,
}

/// A template string, parsed.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(String, Path),
}

/// The template with its strings parsed.
#[derive(Debug, Clone)]
enum Node {
    Whole(String, Path),
    Text(Vec<Piece>),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    Plain(Value),
}

/// The opened `template` transform.
#[derive(Debug)]
pub struct Template {
    root: Node,
    missing: Missing,
}

impl Transform for Template {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        compile(&opts.template).map(|_| ())
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(Template { root: compile(&opts.template)?, missing: opts.missing })
    }

    fn transform(&self, incoming: Incoming<'_>) -> Result<Verdict, String> {
        let event: Value = serde_json::from_str(&incoming.to_json())
            .map_err(|e| format!("the signal is not valid JSON: {e}"))?;
        let mut missing = None;
        let data = render(&self.root, &event, &mut missing);
        if let Some(name) = missing {
            match self.missing {
                Missing::Null => {}
                Missing::Fail => {
                    let id = event.get("id").and_then(Value::as_str).unwrap_or_default();
                    return Err(format!("template: ${name} has no value in signal {id}"));
                }
                Missing::Drop => return Ok(Verdict::Drop),
            }
        }
        Ok(Verdict::json_data(data.to_string()))
    }
}

fn compile(template: &Value) -> Result<Node, String> {
    Ok(match template {
        Value::String(text) => {
            let pieces = pieces(text).map_err(|e| format!("template: {e}"))?;
            match pieces.as_slice() {
                [Piece::Var(name, path)] => Node::Whole(name.clone(), path.clone()),
                _ => Node::Text(pieces),
            }
        }
        Value::Array(items) => Node::Array(items.iter().map(compile).collect::<Result<_, _>>()?),
        Value::Object(members) => Node::Object(
            members.iter().map(|(k, v)| Ok((k.clone(), compile(v)?))).collect::<Result<_, String>>()?,
        ),
        other => Node::Plain(other.clone()),
    })
}

/// Splits `text` into literal text and variables.
fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, next) = if let Some(inner) = after.strip_prefix('{') {
            let close = inner.find('}').ok_or_else(|| format!("{text:?}: `${{` without `}}`"))?;
            (&inner[..close], &inner[close + 1..])
        } else if let Some(next) = after.strip_prefix('$') {
            literal.push('$');
            rest = next;
            continue;
        } else {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']')))
                .unwrap_or(after.len());
            // A sentence may end right after a variable: "total: $data.amount."
            let name = after[..end].trim_end_matches('.');
            (name, &after[name.len()..])
        };
        if name.is_empty() {
            literal.push('$');
            rest = next;
            continue;
        }
        let path = Path::parse(name).map_err(|e| format!("{text:?}: {e}"))?;
        if !literal.is_empty() {
            out.push(Piece::Text(std::mem::take(&mut literal)));
        }
        out.push(Piece::Var(name.to_owned(), path));
        rest = next;
    }
    literal.push_str(rest);
    if !literal.is_empty() || out.is_empty() {
        out.push(Piece::Text(literal));
    }
    Ok(out)
}

fn render(node: &Node, event: &Value, missing: &mut Option<String>) -> Value {
    let mut lookup = |name: &str, path: &Path| match path.get(event) {
        Some(value) => Some(value.clone()),
        None => {
            missing.get_or_insert_with(|| name.to_owned());
            None
        }
    };
    match node {
        Node::Whole(name, path) => lookup(name, path).unwrap_or(Value::Null),
        Node::Text(pieces) => {
            let mut out = String::new();
            for piece in pieces {
                match piece {
                    Piece::Text(text) => out.push_str(text),
                    Piece::Var(name, path) => match lookup(name, path) {
                        Some(Value::String(text)) => out.push_str(&text),
                        Some(Value::Null) | None => {}
                        Some(other) => out.push_str(&other.to_string()),
                    },
                }
            }
            Value::String(out)
        }
        Node::Array(items) => Value::Array(items.iter().map(|n| render(n, event, missing)).collect()),
        Node::Object(members) => {
            Value::Object(members.iter().map(|(k, n)| (k.clone(), render(n, event, missing))).collect())
        }
        Node::Plain(value) => value.clone(),
    }
}

jido_dispatch_sdk::export_transform!(Template);

#[cfg(test)]
mod tests {
    use super::*;
    use jido_dispatch_sdk::{Data, Signal};
    use serde_json::json;

    fn signal() -> Signal {
        Signal {
            id: "s-1".into(),
            source: "/shop".into(),
            type_: "order.paid".into(),
            specversion: "1.0".into(),
            subject: Some("order/7".into()),
            time: None,
            datacontenttype: Some("application/json".into()),
            dataschema: None,
            data: Some(Data::Json(r#"{"id":7,"amount":12.5,"items":[{"sku":"A-1"}]}"#.into())),
            extensions: vec![],
        }
    }

    fn apply(template: Value, missing: Missing) -> Result<Option<Value>, String> {
        let t = Template { root: compile(&template)?, missing };
        let out = t.transform(Incoming::from(&signal()))?.applied_to(&signal());
        Ok(out.map(|s| match s.data {
            Some(Data::Json(text)) => serde_json::from_str(&text).expect("json"),
            other => panic!("{other:?}"),
        }))
    }

    #[test]
    fn variables_fill_text_and_whole_values() {
        let out = apply(
            json!({"text": "Order $data.id paid: ${data.amount} EUR ($type, $$5).", "amount": "$data.amount",
                   "first": "$data.items[0].sku", "n": 3}),
            Missing::Null,
        );
        assert_eq!(
            out,
            Ok(Some(json!({"text": "Order 7 paid: 12.5 EUR (order.paid, $5).", "amount": 12.5,
                           "first": "A-1", "n": 3})))
        );
    }

    #[test]
    fn missing_values_follow_the_option() {
        assert_eq!(
            apply(json!({"x": "$data.nope", "t": "a$data.nope"}), Missing::Null),
            Ok(Some(json!({"x": null, "t": "a"})))
        );
        assert_eq!(apply(json!("$data.nope"), Missing::Drop), Ok(None));
        assert!(apply(json!("$data.nope"), Missing::Fail).expect_err("fails").contains("$data.nope"));
    }

    #[test]
    fn bad_templates_are_refused_at_check() {
        assert!(compile(&json!({"a": "${data.x"})).expect_err("bad").contains("without"));
        assert!(compile(&json!(["$data[x]"])).expect_err("bad").contains("not an array index"));
    }
}
