//! CESQL beyond the compatibility kit: parse errors with their offsets, precedence, and the
//! filter rule (true and no error).

use super::{ErrorKind, Expression, Value};
use crate::signal::{ExtensionValue, Signal};

fn eval(text: &str) -> (Value<'static>, Vec<ErrorKind>) {
    let signal = Signal::builder("order.created", "/shop").build().expect("signal");
    let evaluation = Expression::parse(text).expect("parses").evaluate(&signal);
    (evaluation.value, evaluation.errors)
}

#[test]
fn parse_errors_name_the_offset_and_the_reason() {
    for (text, at, reason) in [
        ("amount >", 8, "expected a value"),
        ("(1 + 2", 6, "expected `)`"),
        ("'open", 0, "unterminated string"),
        ("a LIKE b", 7, "LIKE takes a string literal"),
        ("2147483648", 0, "out of the 32-bit range"),
        ("1 2", 2, "unexpected `2`"),
        ("a # b", 2, "unexpected character '#'"),
        ("my_ext = 1", 0, "not an attribute name"),
        ("EXISTS 5", 7, "EXISTS takes an attribute name"),
    ] {
        let error = Expression::parse(text).expect_err(text);
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.reason.contains(reason), "{text}: {error}");
    }
}

#[test]
fn hostile_sizes_are_refused_not_recursed_into() {
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(Expression::parse(&deep).expect_err("deep").reason.contains("nested more than 64 levels"));
    let huge = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(Expression::parse(&huge).expect_err("huge").reason.contains("too long"));
    let nots = format!("{}TRUE", "NOT ".repeat(100));
    assert!(Expression::parse(&nots).is_err());
    let ands = vec!["TRUE"; 100].join(" AND ");
    assert!(Expression::parse(&ands).is_err(), "a right-leaning chain nests");
    let sums = vec!["1"; 100].join(" + ");
    assert!(Expression::parse(&sums).is_err(), "a left-leaning chain nests");
    let long = format!("x IN ({})", vec!["1"; 3000].join(", "));
    assert!(Expression::parse(&long).expect_err("long").reason.contains("too long"));
    // What is allowed parses and evaluates (evaluation recurses as deep as the tree).
    assert_eq!(eval(&vec!["1"; 60].join(" + ")).0, Value::Int(60));
    assert_eq!(eval(&format!("{}1{}", "(".repeat(60), ")".repeat(60))).0, Value::Int(1));
    assert_eq!(eval(&format!("type IN ({})", vec!["'x'"; 1500].join(", "))).0, Value::Bool(false));
}

#[test]
fn filters_refuse_calls_that_can_only_fail() {
    assert!(Expression::parse("LENGHT(x)").is_ok(), "plain parsing leaves it to evaluation");
    let error = Expression::parse_filter("1 = LENGHT(x)").expect_err("unknown");
    assert_eq!((error.at, error.reason.as_str()), (4, "unknown function LENGHT"));
    let error = Expression::parse_filter("ABS(1, 2) = 1").expect_err("arity");
    assert!(error.reason.contains("ABS does not take 2 argument(s)"), "{error}");
}

#[test]
fn precedence_follows_the_reference_grammar() {
    assert_eq!(eval("1 + 2 * 3").0, Value::Int(7));
    assert_eq!(eval("-2147483648").0, Value::Int(i32::MIN));
    assert_eq!(eval("2147483647 + 1"), (Value::Int(0), vec![ErrorKind::Math]));
    // AND, OR and XOR share one level and group to the right.
    assert_eq!(eval("FALSE AND FALSE OR TRUE").0, Value::Bool(false));
    assert_eq!(eval("TRUE OR FALSE AND FALSE").0, Value::Bool(true));
    assert_eq!(eval("type LIKE 'order.%' AND source IN ('/shop', '/pos')").0, Value::Bool(true));
    assert_eq!(eval("NOT EXISTS subject").0, Value::Bool(true));
    assert_eq!(eval("'ü' LIKE '_'").0, Value::Bool(true));
}

#[test]
fn as_a_filter_an_expression_passes_only_true_without_errors() {
    let mut signal = Signal::builder("order.created", "/shop").build().expect("signal");
    signal.extensions.insert("amount".to_owned(), ExtensionValue::Integer(250));
    signal.extensions.insert("big".to_owned(), ExtensionValue::Integer(1 << 40));
    let passes = |text: &str| Expression::parse_filter(text).expect("parses").accepts(&signal);
    assert!(passes("amount > 100"));
    assert!(!passes("amount > 1000"));
    assert!(!passes("missing = 1 OR TRUE"), "an error fails the filter even when the value is true");
    assert!(!passes("amount + 1"), "a non-boolean value does not pass");
    assert!(passes("big = '1099511627776'"), "a wider integer is read as text");
}

#[test]
fn like_backtracks_over_runs_of_text() {
    for (text, holds) in [
        ("'abcabd' LIKE '%abd'", true),
        ("'abcabd' LIKE 'abc%d'", true),
        ("'aXbXbc' LIKE 'a%b%c'", true),
        ("'aXbXbd' LIKE 'a%b%c'", false),
        ("'ab' LIKE 'a_%'", true),
        ("'a' LIKE 'a_%'", false),
        ("'é!' LIKE '_!'", true),
        ("'100%' LIKE '100\\%'", true),
        ("'1000' LIKE '100\\%'", false),
        ("'' LIKE '%'", true),
    ] {
        assert_eq!(eval(text), (Value::Bool(holds), vec![]), "{text}");
    }
}

#[test]
fn fused_shapes_evaluate_as_the_general_operators_do() {
    let mut signal = Signal::builder("order.created", "/shop/eu").build().expect("signal");
    signal.extensions.insert("amount".to_owned(), ExtensionValue::Integer(250));
    signal.extensions.insert("word".to_owned(), ExtensionValue::Text("abc".to_owned()));
    signal.extensions.insert("digits".to_owned(), ExtensionValue::Text("300".to_owned()));
    signal.extensions.insert("flag".to_owned(), ExtensionValue::Boolean(true));
    let eval = |text: &str| {
        let evaluation = Expression::parse(text).expect("parses").evaluate(&signal);
        (evaluation.value, evaluation.errors)
    };
    let yes = (Value::Bool(true), vec![]);
    let no = (Value::Bool(false), vec![]);
    for (text, expected) in [
        ("source LIKE '/shop/%'", yes.clone()),
        ("source LIKE '/shop/%' AND amount > 100", yes.clone()),
        ("source NOT LIKE '/shop/%'", no.clone()),
        ("source LIKE '/pos/%'", no.clone()),
        ("source NOT LIKE '/pos/%'", yes.clone()),
        ("source LIKE '\\%%'", no.clone()),
        ("amount LIKE '25%'", yes.clone()),
        ("flag LIKE 'tr%'", yes.clone()),
        ("subject LIKE 'eu%'", (Value::Bool(false), vec![ErrorKind::MissingAttribute])),
        ("subject NOT LIKE 'eu%'", (Value::Bool(false), vec![ErrorKind::MissingAttribute])),
        ("amount > 249", yes.clone()),
        ("amount >= 250", yes.clone()),
        ("amount < 250", no.clone()),
        ("amount <= 250", yes.clone()),
        ("digits > 299", yes.clone()),
        ("missing > 1", (Value::Bool(false), vec![ErrorKind::MissingAttribute])),
        ("word > -1", (Value::Bool(true), vec![ErrorKind::Cast])),
        ("word < -1", (Value::Bool(false), vec![ErrorKind::Cast])),
        ("flag > 0", yes.clone()),
        ("source > 1", (Value::Bool(false), vec![ErrorKind::Cast])),
    ] {
        assert_eq!(eval(text), expected, "{text}");
    }
}
