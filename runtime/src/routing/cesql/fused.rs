//! Fused nodes: the shapes filters use most, compiled into one node instead of three to six.
//!
//! `attribute LIKE 'text%'` becomes `Node::AttributeStartsWith` and `attribute < 5` (`<=`,
//! `>`, `>=`, with an integer literal on the right) becomes `Node::AttributeCompareInt`.
//! Each evaluates exactly as the nodes it replaces, errors included: a missing attribute is
//! a `MissingAttribute` error and `false`; a value that does not cast is a `Cast` error and
//! the comparison runs with the zero value, as the general operators do.

use super::parser::{BinOp, Expr, LikePart};
use super::value::Value;

/// A fused shape found in an expression, for the program to compile into one node.
pub(super) enum Fused<'e> {
    /// `name LIKE 'text%'` (or `NOT LIKE`).
    StartsWith { name: &'e str, text: String, negated: bool },
    /// `name op n` for `<`, `<=`, `>`, `>=`.
    CompareInt(BinOp, &'e str, i32),
}

/// The fused shape of `expr`, when it has one.
pub(super) fn fuse(expr: &Expr) -> Option<Fused<'_>> {
    match expr {
        Expr::Like { value, pattern, negated } => {
            let Expr::Attribute(name) = &**value else { return None };
            let (LikePart::Any, text) = pattern.split_last()? else { return None };
            let text = text
                .iter()
                .map(|part| match part {
                    LikePart::Char(c) => Some(*c),
                    LikePart::Any | LikePart::One => None,
                })
                .collect::<Option<String>>()?;
            Some(Fused::StartsWith { name, text, negated: *negated })
        }
        Expr::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), left, right) => {
            let (Expr::Attribute(name), Expr::Literal(Value::Int(n))) = (&**left, &**right) else {
                return None;
            };
            Some(Fused::CompareInt(*op, name, *n))
        }
        _ => None,
    }
}

/// `left op right` for the four ordering operators.
pub(super) fn order(op: BinOp, left: i32, right: i32) -> bool {
    match op {
        BinOp::Lt => left < right,
        BinOp::Le => left <= right,
        BinOp::Gt => left > right,
        _ => left >= right,
    }
}
