//! Subscription filters: the dialects of the CloudEvents Subscriptions API, evaluated after
//! the type pattern matched.
//!
//! A subscription's `filters` are ANDed. Each is one dialect: `exact`, `prefix`, `suffix`
//! (every named attribute, including extensions, must exist and equal / start / end with
//! the value, compared on the attribute's canonical string form), `all`, `any`, `not`
//! (combinations) and `sql` (a [CESQL](super::cesql) expression, parsed once when the
//! subscription is made). In TOML: `filters = [{ exact = { source = "/orders" } },
//! { sql = "amount > 100" }]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cesql::{Attributes as _, Expression, ParseError, Value};
use crate::signal::Signal;

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Filter {
    /// Each attribute equals its value.
    Exact(BTreeMap<String, String>),
    /// Each attribute starts with its value.
    Prefix(BTreeMap<String, String>),
    /// Each attribute ends with its value.
    Suffix(BTreeMap<String, String>),
    /// Every filter passes.
    All(Vec<Filter>),
    /// At least one filter passes.
    Any(Vec<Filter>),
    /// The filter does not pass.
    Not(Box<Filter>),
    /// A CESQL expression is `true` without errors.
    Sql(SqlFilter),
}

/// A CESQL expression, parsed when deserialised (a bad one is refused with its position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SqlFilter(Expression);

impl TryFrom<String> for SqlFilter {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Expression::parse_filter(&text).map(SqlFilter).map_err(|e| format!("sql {text:?}: {e}"))
    }
}

impl From<SqlFilter> for String {
    fn from(filter: SqlFilter) -> String {
        filter.0.source().to_owned()
    }
}

impl SqlFilter {
    /// Parses `text` as a filter expression.
    pub fn parse(text: &str) -> Result<SqlFilter, ParseError> {
        Expression::parse_filter(text).map(SqlFilter)
    }
}

/// Why a filter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// An `exact`/`prefix`/`suffix` with no attribute, or an `all`/`any` with no filter.
    #[error("{0}: needs at least one entry")]
    Empty(&'static str),
    /// An attribute name that no CloudEvents attribute can have.
    #[error("{dialect}: {name:?} is not an attribute name (lower-case letters and digits)")]
    AttributeName {
        /// The dialect it was given to.
        dialect: &'static str,
        /// The name.
        name: String,
    },
}

impl Filter {
    /// Checks what deserialisation cannot: no empty dialects, valid attribute names.
    pub fn check(&self) -> Result<(), FilterError> {
        match self {
            Filter::Exact(map) => check_map("exact", map),
            Filter::Prefix(map) => check_map("prefix", map),
            Filter::Suffix(map) => check_map("suffix", map),
            Filter::All(list) if list.is_empty() => Err(FilterError::Empty("all")),
            Filter::Any(list) if list.is_empty() => Err(FilterError::Empty("any")),
            Filter::All(list) | Filter::Any(list) => list.iter().try_for_each(Filter::check),
            Filter::Not(inner) => inner.check(),
            Filter::Sql(_) => Ok(()),
        }
    }

    /// Whether `signal` passes.
    pub fn accepts(&self, signal: &Signal) -> bool {
        match self {
            Filter::Exact(map) => each(signal, map, |value, wanted| value == wanted),
            Filter::Prefix(map) => each(signal, map, |value, wanted| value.starts_with(wanted)),
            Filter::Suffix(map) => each(signal, map, |value, wanted| value.ends_with(wanted)),
            Filter::All(list) => list.iter().all(|f| f.accepts(signal)),
            Filter::Any(list) => list.iter().any(|f| f.accepts(signal)),
            Filter::Not(inner) => !inner.accepts(signal),
            Filter::Sql(SqlFilter(expression)) => expression.accepts(signal),
        }
    }
}

/// Whether `signal` passes every filter of `filters` (an empty list passes everything).
pub fn accepts_all(filters: &[Filter], signal: &Signal) -> bool {
    filters.iter().all(|f| f.accepts(signal))
}

fn check_map(dialect: &'static str, map: &BTreeMap<String, String>) -> Result<(), FilterError> {
    if map.is_empty() {
        return Err(FilterError::Empty(dialect));
    }
    match map
        .keys()
        .find(|name| name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
    {
        Some(name) => Err(FilterError::AttributeName { dialect, name: name.clone() }),
        None => Ok(()),
    }
}

fn each(signal: &Signal, map: &BTreeMap<String, String>, test: fn(&str, &str) -> bool) -> bool {
    map.iter().all(|(name, wanted)| {
        signal.attribute(name).map(Value::into_text).is_some_and(|value| test(&value, wanted))
    })
}

#[cfg(test)]
mod tests {
    use super::{Filter, FilterError};
    use crate::signal::{ExtensionValue, Signal};

    fn filter(json: serde_json::Value) -> Filter {
        serde_json::from_value(json).expect("a filter")
    }

    #[test]
    fn dialects_compare_attributes_and_extensions_on_their_text() {
        let mut signal =
            Signal::builder("order.created", "/shop/eu").subject("eu/fr").build().expect("signal");
        signal.extensions.insert("tier".to_owned(), ExtensionValue::Integer(2));
        signal.extensions.insert("vip".to_owned(), ExtensionValue::Boolean(true));
        let passes = |json| filter(json).accepts(&signal);
        assert!(passes(serde_json::json!({"exact": {"source": "/shop/eu", "tier": "2", "vip": "true"}})));
        assert!(!passes(serde_json::json!({"exact": {"source": "/shop/eu", "tier": "3"}})));
        assert!(passes(serde_json::json!({"prefix": {"subject": "eu/"}})));
        assert!(passes(serde_json::json!({"suffix": {"source": "/eu"}})));
        assert!(!passes(serde_json::json!({"suffix": {"missing": ""}})), "a missing attribute never matches");
        assert!(passes(serde_json::json!({"not": {"exact": {"type": "order.paid"}}})));
        assert!(passes(serde_json::json!({"any": [{"exact": {"tier": "9"}}, {"sql": "vip"}]})));
        assert!(!passes(serde_json::json!({"all": [{"exact": {"tier": "2"}}, {"sql": "tier > 2"}]})));
    }

    #[test]
    fn what_cannot_match_is_refused() {
        assert_eq!(filter(serde_json::json!({"any": []})).check(), Err(FilterError::Empty("any")));
        assert!(filter(serde_json::json!({"exact": {"Type": "x"}})).check().is_err());
        let error = serde_json::from_value::<Filter>(serde_json::json!({"sql": "a ="})).expect_err("bad sql");
        assert!(error.to_string().contains("sql \"a =\": at offset 3"), "{error}");
        let round_trip =
            serde_json::to_value(filter(serde_json::json!({"sql": "a = 1"}))).expect("serialises");
        assert_eq!(round_trip, serde_json::json!({"sql": "a = 1"}));
    }
}
