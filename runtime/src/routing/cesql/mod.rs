//! CloudEvents SQL (CESQL) v1: the expression language of the `sql` filter dialect.
//!
//! [`Expression::parse`] turns text into a tree (a [`ParseError`] names the byte offset
//! and the reason); [`Expression::evaluate`] runs it against an event's attributes in
//! complete-evaluation mode: the value and every error met on the way, as the
//! specification defines them (a missing attribute makes its operator return the zero
//! value of its type, a failed cast the zero value of the target type, and so on). As a
//! filter, [`Expression::accepts`] passes an event only when the value is `true` and no
//! error occurred. The whole language is covered: literals, attributes and extensions,
//! `EXISTS`, `LIKE`, `IN`, unary and binary operators with implicit casts, and the
//! built-in functions. The official compatibility kit runs in `tests/cesql_tck.rs`.

mod eval;
mod functions;
mod lexer;
mod parser;
mod value;

pub use value::Value;

use std::borrow::Cow;

use crate::signal::{ExtensionValue, Signal};

/// A parse failure: where (a byte offset into the expression) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at offset {at}: {reason}")]
pub struct ParseError {
    /// Byte offset into the expression text.
    pub at: usize,
    /// What is wrong there.
    pub reason: String,
}

impl ParseError {
    fn new(at: usize, reason: impl Into<String>) -> Self {
        ParseError { at, reason: reason.into() }
    }
}

/// The kinds of evaluation error of the specification (parse errors are [`ParseError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Division or remainder by zero, or an integer overflow.
    Math,
    /// An implicit or explicit cast failed.
    Cast,
    /// An expression named an attribute the event does not have.
    MissingAttribute,
    /// No function of that name takes that many arguments.
    MissingFunction,
    /// A function refused its arguments (e.g. a negative length).
    FunctionEvaluation,
}

/// What an expression can read: the event's attributes by (lower-case) name.
pub trait Attributes {
    /// The attribute `name`, or `None` when the event does not have it.
    fn attribute(&self, name: &str) -> Option<Value<'_>>;
}

impl Attributes for Signal {
    fn attribute(&self, name: &str) -> Option<Value<'_>> {
        let text = |s| Some(Value::Str(Cow::Borrowed(s)));
        match name {
            "specversion" => text(&self.specversion),
            "id" => text(&self.id),
            "source" => text(&self.source),
            "type" => text(&self.ty),
            "subject" => self.subject.as_deref().and_then(text),
            "time" => self.time.as_deref().and_then(text),
            "datacontenttype" => self.datacontenttype.as_deref().and_then(text),
            "dataschema" => self.dataschema.as_deref().and_then(text),
            other => self.extensions.get(other).map(|value| match value {
                ExtensionValue::Text(s) => Value::Str(Cow::Borrowed(s)),
                ExtensionValue::Boolean(b) => Value::Bool(*b),
                // CESQL integers are 32-bit; a wider one is read as its text.
                ExtensionValue::Integer(n) => {
                    i32::try_from(*n).map_or_else(|_| Value::Str(Cow::Owned(n.to_string())), Value::Int)
                }
            }),
        }
    }
}

/// The outcome of an evaluation: the value and the errors met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The expression's value (the zero value of its type where an error decided it).
    pub value: Value<'static>,
    /// Every error, in the order met.
    pub errors: Vec<ErrorKind>,
}

/// A parsed CESQL expression.
#[derive(Debug, Clone)]
pub struct Expression {
    source: String,
    tree: parser::Expr,
}

/// Two expressions are equal when their texts are.
impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Expression {}

impl Expression {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Expression, ParseError> {
        let tree = parser::parse(lexer::tokens(text)?)?;
        Ok(Expression { source: text.to_owned(), tree })
    }

    /// Parses `text` for use as a filter: besides syntax, every function it calls must
    /// exist with that many arguments (such a call could only ever fail).
    pub fn parse_filter(text: &str) -> Result<Expression, ParseError> {
        let expression = Expression::parse(text)?;
        check_calls(&expression.tree)?;
        Ok(expression)
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against `event`.
    pub fn evaluate(&self, event: &dyn Attributes) -> Evaluation {
        let mut eval = eval::Eval { event, errors: Vec::new() };
        let value = eval.eval(&self.tree).map_or(Value::Bool(false), Value::into_owned);
        Evaluation { value, errors: eval.errors }
    }

    /// Whether `event` passes as a filter: the value is `true` and nothing failed.
    pub fn accepts(&self, event: &dyn Attributes) -> bool {
        let evaluation = self.evaluate(event);
        evaluation.value == Value::Bool(true) && evaluation.errors.is_empty()
    }
}

fn check_calls(expr: &parser::Expr) -> Result<(), ParseError> {
    use parser::Expr;
    match expr {
        Expr::Call { name, args, at } => {
            if functions::lookup(name, args.len()).is_none() {
                let reason = if functions::known(name) {
                    format!("{name} does not take {} argument(s)", args.len())
                } else {
                    format!("unknown function {name}")
                };
                return Err(ParseError::new(*at, reason));
            }
            args.iter().try_for_each(check_calls)
        }
        Expr::Not(inner) | Expr::Negate(inner) => check_calls(inner),
        Expr::Binary(_, left, right) => {
            check_calls(left)?;
            check_calls(right)
        }
        Expr::Like { value, .. } => check_calls(value),
        Expr::In { value, set, .. } => {
            check_calls(value)?;
            set.iter().try_for_each(check_calls)
        }
        Expr::Literal(_) | Expr::Attribute(_) | Expr::Exists(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
