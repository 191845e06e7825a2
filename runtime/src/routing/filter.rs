//! Subscription filters: the dialects of the CloudEvents Subscriptions API, evaluated after
//! the type pattern matched.
//!
//! A subscription's `filters` are ANDed. Each is one dialect: `exact`, `prefix`, `suffix`
//! (every named attribute, including extensions, must exist and equal / start / end with
//! the value, compared on the attribute's canonical string form), `all`, `any`, `not`
//! (combinations) and `sql` (a [CESQL](super::cesql) expression, parsed once when the
//! subscription is made). A subscription's filters are compiled together into a
//! [`FilterSet`], which is what routing evaluates. In TOML: `filters = [{ exact = { source = "/orders" } },
//! { sql = "amount > 100" }]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cesql::{Comparison, Compiled, Compiler, Expression, ParseError, Test};
use crate::signal::Signal;

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
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
#[non_exhaustive]
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

    /// Whether `signal` passes (compiles the filter first: to test many signals, make a
    /// [`FilterSet`] once).
    pub fn accepts(&self, signal: &Signal) -> bool {
        FilterSet::new(std::slice::from_ref(self)).accepts(signal)
    }

    fn compile(&self, compiler: &mut Compiler) -> Test {
        let mut each = |how, map: &BTreeMap<String, String>| {
            let tests = map.iter().map(|(name, value)| compiler.compare(how, name, value)).collect();
            compiler.all(tests)
        };
        match self {
            Filter::Exact(map) => each(Comparison::Equals, map),
            Filter::Prefix(map) => each(Comparison::StartsWith, map),
            Filter::Suffix(map) => each(Comparison::EndsWith, map),
            Filter::All(list) => {
                let tests = list.iter().map(|f| f.compile(compiler)).collect();
                compiler.all(tests)
            }
            Filter::Any(list) => {
                let tests = list.iter().map(|f| f.compile(compiler)).collect();
                compiler.any(tests)
            }
            Filter::Not(inner) => {
                let test = inner.compile(compiler);
                compiler.not(test)
            }
            Filter::Sql(SqlFilter(expression)) => compiler.sql(expression),
        }
    }
}

/// A subscription's filters (ANDed) compiled into one flat program, the form routing
/// evaluates for every signal whose type matched: a few contiguous allocations, names and
/// functions resolved, so thousands of subscriptions' filters cost few cache misses.
#[derive(Debug, Clone, Default)]
pub struct FilterSet(Option<Compiled>);

impl FilterSet {
    /// Compiles `filters` (an empty list passes everything, at no cost).
    pub fn new(filters: &[Filter]) -> FilterSet {
        if filters.is_empty() {
            return FilterSet(None);
        }
        let mut compiler = Compiler::new();
        let tests = filters.iter().map(|f| f.compile(&mut compiler)).collect();
        let root = compiler.all(tests);
        FilterSet(Some(compiler.finish(root)))
    }

    /// Reads the compiled filters' memory (so that a caller can bring many into cache at
    /// once, before testing them); the value means nothing.
    pub fn warm(&self) -> u8 {
        self.0.as_ref().map_or(0, Compiled::warm)
    }

    /// Whether `signal` passes every filter.
    pub fn accepts(&self, signal: &Signal) -> bool {
        self.0.as_ref().is_none_or(|compiled| compiled.accepts(signal))
    }
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

#[cfg(test)]
mod tests {
    use super::{Filter, FilterError, FilterSet};
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
    fn a_filter_set_ands_its_filters_and_an_empty_one_passes_everything() {
        let mut signal = Signal::builder("order.created", "/shop/eu").build().expect("signal");
        signal.extensions.insert("amount".to_owned(), ExtensionValue::Integer(150));
        let set = |list: serde_json::Value| {
            FilterSet::new(&serde_json::from_value::<Vec<Filter>>(list).expect("filters"))
        };
        assert!(FilterSet::default().accepts(&signal));
        assert!(set(serde_json::json!([])).accepts(&signal));
        let both = serde_json::json!([{"prefix": {"source": "/shop/"}}, {"sql": "amount > 100 AND type LIKE 'order.%'"}]);
        assert!(set(both).accepts(&signal));
        let second_fails = serde_json::json!([{"prefix": {"source": "/shop/"}}, {"sql": "amount > 200"}]);
        assert!(!set(second_fails).accepts(&signal));
        let nested = serde_json::json!([{"any": [{"not": {"sql": "amount > 100"}}, {"all": [{"exact": {"amount": "150"}}, {"suffix": {"source": "/eu"}}]}]}]);
        assert!(set(nested).accepts(&signal));
        assert!(
            !set(serde_json::json!([{"sql": "missing = 1 OR TRUE"}])).accepts(&signal),
            "an error fails a sql filter"
        );
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
