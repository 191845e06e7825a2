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

mod attribute;
mod compiled;
mod eval;
mod functions;
mod fused;
mod lexer;
mod packed;
mod parser;
mod program;
mod value;

pub use attribute::{Attributes, ContextAttribute};
pub use compiled::{Compiled, Compiler, Test};
pub use program::Comparison;
pub use value::Value;

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
    /// The parse tree, kept to compile the expression into a subscription's filters.
    tree: parser::Expr,
    /// The expression compiled on its own, for [`Expression::evaluate`].
    packed: packed::Packed,
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
        let mut program = program::Program::default();
        let root = program.expr(&tree);
        let packed = packed::Packed::new(&program, root);
        Ok(Expression { source: text.to_owned(), tree, packed })
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
        let mut eval = eval::Eval::new(&self.packed, event);
        let value = eval.eval(self.packed.root()).map_or(Value::Bool(false), Value::into_owned);
        Evaluation { value, errors: eval.errors }
    }

    /// Whether `event` passes as a filter: the value is `true` and nothing failed.
    pub fn accepts(&self, event: &dyn Attributes) -> bool {
        let mut eval = eval::Eval::new(&self.packed, event);
        let value = eval.eval(self.packed.root());
        value == Some(Value::Bool(true)) && eval.errors.is_empty()
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
