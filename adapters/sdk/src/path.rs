//! JSON paths as transforms write them: `data.order.id`, `data.items[0].sku`, with an
//! optional leading `.` (jq style: `.data.amount`). A path is parsed once, when options are
//! checked, and looked up per signal without allocating.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    steps: Vec<Step>,
}

impl Path {
    /// Parses `text`; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Path, String> {
        let body = text.strip_prefix('.').unwrap_or(text);
        let mut steps = Vec::new();
        if body.is_empty() {
            return Ok(Path { steps });
        }
        for part in body.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(at) => part.split_at(at),
                None => (part, ""),
            };
            if key.is_empty() && steps.is_empty() && rest.is_empty() {
                return Err(format!("path {text:?}: empty segment"));
            }
            if !key.is_empty() {
                if !key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                    return Err(format!("path {text:?}: {key:?} is not a plain member name"));
                }
                steps.push(Step::Key(key.to_owned()));
            } else if rest.is_empty() {
                return Err(format!("path {text:?}: empty segment"));
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let close = inner.find(']').ok_or_else(|| format!("path {text:?}: missing `]`"))?;
                let index = inner[..close]
                    .parse()
                    .map_err(|_| format!("path {text:?}: {:?} is not an array index", &inner[..close]))?;
                steps.push(Step::Index(index));
                rest = &inner[close + 1..];
            }
            if !rest.is_empty() {
                return Err(format!("path {text:?}: unexpected {rest:?}"));
            }
        }
        Ok(Path { steps })
    }

    /// The steps.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The value at this path in `root`, if there is one.
    pub fn get<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.steps.iter().try_fold(root, |value, step| match step {
            Step::Key(key) => value.get(key.as_str()),
            Step::Index(index) => value.get(*index),
        })
    }

    /// Sets `value` at this path in `root`, creating objects (and null-padded arrays) on
    /// the way; a step through a scalar replaces it.
    pub fn set(&self, root: &mut Value, value: Value) {
        let mut at = root;
        for step in &self.steps {
            at = match step {
                Step::Key(key) => {
                    if !at.is_object() {
                        *at = Value::Object(serde_json::Map::new());
                    }
                    match at {
                        Value::Object(map) => map.entry(key.clone()).or_insert(Value::Null),
                        _ => return,
                    }
                }
                Step::Index(index) => {
                    if !at.is_array() {
                        *at = Value::Array(Vec::new());
                    }
                    match at {
                        Value::Array(items) => {
                            if items.len() <= *index {
                                items.resize(index + 1, Value::Null);
                            }
                            &mut items[*index]
                        }
                        _ => return,
                    }
                }
            };
        }
        *at = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_read_members_and_elements() {
        let event = json!({"type": "t", "data": {"items": [{"sku": "a"}, {"sku": "b"}]}});
        let get = |p: &str| Path::parse(p).expect("valid").get(&event).cloned();
        assert_eq!(get("type"), Some(json!("t")));
        assert_eq!(get(".data.items[1].sku"), Some(json!("b")));
        assert_eq!(get("data.items[5]"), None);
        assert_eq!(get("."), Some(event.clone()));
    }

    #[test]
    fn bad_paths_say_why() {
        assert!(Path::parse("data..x").expect_err("bad").contains("empty segment"));
        assert!(Path::parse("data[x]").expect_err("bad").contains("not an array index"));
        assert!(Path::parse("data[1").expect_err("bad").contains("missing `]`"));
        assert!(Path::parse("da ta").expect_err("bad").contains("not a plain member name"));
    }

    #[test]
    fn set_creates_the_way() {
        let mut root = json!({});
        Path::parse("a.b[1]").expect("valid").set(&mut root, json!(3));
        assert_eq!(root, json!({"a": {"b": [null, 3]}}));
    }
}
