//! The `select` transform: jq-like field selection and filtering.
//!
//! - `when`: conditions (`".data.amount > 100"`, `"type == \"order.paid\""`, `"data.vip"`
//!   for "present and not false/null"); a signal that fails any is dropped for this target.
//! - `keep`: paths under `data` to keep (the rest of `data` is left out), or
//! - `pick`: one path whose value becomes the whole `data` (jq's `.data.order`).
//!
//! Paths are into the CloudEvent as JSON (`type`, `subject`, `data.items[0].sku`, with or
//! without a leading `.`); literals are JSON (`100`, `"text"`, `true`, `null`).

use jido_dispatch_sdk::path::{Path, Step};
use jido_dispatch_sdk::transform::{Incoming, Transform, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `select` options.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Conditions that must all hold, or the signal is dropped.
    #[serde(default)]
    pub when: Vec<String>,
    /// Paths under `data` to keep.
    #[serde(default)]
    pub keep: Vec<String>,
    /// The path whose value becomes `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone)]
enum Condition {
    Truthy(Path),
    Compare(Path, Op, Value),
}

/// The opened `select` transform.
#[derive(Debug)]
pub struct Select {
    when: Vec<Condition>,
    keep: Vec<Path>,
    pick: Option<Path>,
}

impl Transform for Select {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        Select::open(Options { when: opts.when.clone(), keep: opts.keep.clone(), pick: opts.pick.clone() })
            .map(|_| ())
    }

    fn open(opts: Options) -> Result<Self, String> {
        if !opts.keep.is_empty() && opts.pick.is_some() {
            return Err("keep, pick: give one of them, not both".to_owned());
        }
        let when = opts.when.iter().map(|c| condition(c)).collect::<Result<_, _>>()?;
        let keep = opts
            .keep
            .iter()
            .map(|p| {
                let path = Path::parse(p).map_err(|e| format!("keep: {e}"))?;
                match path.steps().first() {
                    Some(Step::Key(first)) if first == "data" && path.steps().len() > 1 => Ok(path),
                    _ => Err(format!("keep: {p:?} must be a path under data, e.g. \"data.id\"")),
                }
            })
            .collect::<Result<_, String>>()?;
        let pick = opts.pick.as_deref().map(Path::parse).transpose().map_err(|e| format!("pick: {e}"))?;
        Ok(Select { when, keep, pick })
    }

    fn transform(&self, incoming: Incoming<'_>) -> Result<Verdict, String> {
        if self.when.is_empty() && self.keep.is_empty() && self.pick.is_none() {
            return Ok(Verdict::Keep);
        }
        let event: Value = serde_json::from_str(&incoming.to_json())
            .map_err(|e| format!("the signal is not valid JSON: {e}"))?;
        if !self.when.iter().all(|c| holds(c, &event)) {
            return Ok(Verdict::Drop);
        }
        let data = if let Some(pick) = &self.pick {
            pick.get(&event).cloned().unwrap_or(Value::Null)
        } else if !self.keep.is_empty() {
            let mut root = Value::Object(serde_json::Map::new());
            for path in &self.keep {
                if let Some(value) = path.get(&event) {
                    path.set(&mut root, value.clone());
                }
            }
            root.get_mut("data").map(Value::take).unwrap_or(Value::Null)
        } else {
            return Ok(Verdict::Keep);
        };
        Ok(Verdict::json_data(data.to_string()))
    }
}

/// Parses `<path>`, or `<path> <op> <JSON literal>`.
fn condition(text: &str) -> Result<Condition, String> {
    let ops = [("==", Op::Eq), ("!=", Op::Ne), (">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)];
    let found = ops.iter().filter_map(|(s, op)| text.find(s).map(|at| (at, *s, *op))).min_by_key(|f| f.0);
    let Some((at, symbol, op)) = found else {
        return Ok(Condition::Truthy(Path::parse(text.trim()).map_err(|e| format!("when: {e}"))?));
    };
    let path = Path::parse(text[..at].trim()).map_err(|e| format!("when: {e}"))?;
    let literal = text[at + symbol.len()..].trim();
    let value = serde_json::from_str(literal)
        .map_err(|_| format!("when: {text:?}: {literal:?} is not a JSON literal (quote strings)"))?;
    Ok(Condition::Compare(path, op, value))
}

fn holds(condition: &Condition, event: &Value) -> bool {
    match condition {
        Condition::Truthy(path) => !matches!(path.get(event), None | Some(Value::Null | Value::Bool(false))),
        Condition::Compare(path, op, expected) => {
            let Some(found) = path.get(event) else { return *op == Op::Ne };
            let order = match (found, expected) {
                (Value::Number(a), Value::Number(b)) => {
                    a.as_f64().zip(b.as_f64()).and_then(|(a, b)| a.partial_cmp(&b))
                }
                (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                (a, b) => (a == b).then_some(std::cmp::Ordering::Equal),
            };
            match op {
                Op::Eq => order == Some(std::cmp::Ordering::Equal),
                Op::Ne => order != Some(std::cmp::Ordering::Equal),
                Op::Gt => order == Some(std::cmp::Ordering::Greater),
                Op::Ge => matches!(order, Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
                Op::Lt => order == Some(std::cmp::Ordering::Less),
                Op::Le => matches!(order, Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
            }
        }
    }
}

jido_dispatch_sdk::export_transform!(Select);

#[cfg(test)]
mod tests {
    use super::*;
    use jido_dispatch_sdk::{Data, Signal};
    use serde_json::json;

    fn run(t: &Select, signal: Signal) -> Option<Signal> {
        t.transform(Incoming::from(&signal)).expect("ok").applied_to(&signal)
    }

    fn order(amount: f64) -> Signal {
        Signal {
            id: "s-1".into(),
            source: "/shop".into(),
            type_: "order.paid".into(),
            specversion: "1.0".into(),
            subject: None,
            time: None,
            datacontenttype: Some("application/json".into()),
            dataschema: None,
            data: Some(Data::Json(
                json!({"id": 7, "amount": amount, "card": "4111", "customer": {"vip": true, "name": "Ada"}})
                    .to_string(),
            )),
            extensions: vec![],
        }
    }

    fn data(s: Option<Signal>) -> Option<Value> {
        s.map(|s| match s.data {
            Some(Data::Json(text)) => serde_json::from_str(&text).expect("json"),
            other => panic!("{other:?}"),
        })
    }

    fn open(opts: Value) -> Result<Select, String> {
        Select::open(serde_json::from_value(opts).map_err(|e| e.to_string())?)
    }

    #[test]
    fn conditions_drop_what_does_not_match() {
        let t = open(json!({"when": [".data.amount > 100", "type == \"order.paid\"", "data.customer.vip"]}))
            .expect("ok");
        assert!(matches!(t.transform(Incoming::from(&order(150.0))), Ok(Verdict::Keep)));
        assert!(matches!(t.transform(Incoming::from(&order(99.0))), Ok(Verdict::Drop)));
        let noop = open(json!({})).expect("ok");
        assert!(matches!(noop.transform(Incoming::from(&order(1.0))), Ok(Verdict::Keep)));
    }

    #[test]
    fn keep_leaves_out_the_rest_and_pick_takes_one_value() {
        let keep = open(json!({"keep": ["data.id", "data.customer.name"]})).expect("ok");
        assert_eq!(data(run(&keep, order(1.0))), Some(json!({"id": 7, "customer": {"name": "Ada"}})));
        let pick = open(json!({"pick": ".data.customer"})).expect("ok");
        assert_eq!(data(run(&pick, order(1.0))), Some(json!({"vip": true, "name": "Ada"})));
    }

    #[test]
    fn bad_options_name_the_key() {
        assert!(open(json!({"when": ["data.amount > abc"]})).expect_err("bad").starts_with("when:"));
        assert!(open(json!({"keep": ["type"]})).expect_err("bad").starts_with("keep:"));
        assert!(open(json!({"keep": ["data.a"], "pick": "data"})).expect_err("bad").contains("not both"));
    }
}
