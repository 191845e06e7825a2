//! Fused nodes: the shapes filters use most, compiled into one node instead of three to six.
//!
//! `attribute LIKE 'text%'` becomes [`Node::AttributeStartsWith`] and `attribute < 5` (`<=`,
//! `>`, `>=`, with an integer literal on the right) becomes [`Node::AttributeCompareInt`].
//! Each evaluates exactly as the nodes it replaces, errors included: a missing attribute is
//! a `MissingAttribute` error and `false`; a value that does not cast is a `Cast` error and
//! the comparison runs with the zero value, as the general operators do.

use super::parser::{BinOp, Expr, LikePart};
use super::program::{Node, Program};
use super::value::Value;

/// The fused node for `expr`, when it has one of the fused shapes.
pub(super) fn fuse(program: &mut Program, expr: &Expr) -> Option<Node> {
    match expr {
        Expr::Like { value, pattern, negated } => {
            let Expr::Attribute(name) = &**value else { return None };
            let (LikePart::Any, text) = pattern.split_last()? else { return None };
            let text: String = text
                .iter()
                .map(|part| match part {
                    LikePart::Char(c) => Some(*c),
                    LikePart::Any | LikePart::One => None,
                })
                .collect::<Option<String>>()?;
            let attr = program.attr(name);
            Some(Node::AttributeStartsWith { attr, text: program.span_of_text(&text), negated: *negated })
        }
        Expr::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), left, right) => {
            let (Expr::Attribute(name), Expr::Literal(Value::Int(n))) = (&**left, &**right) else {
                return None;
            };
            Some(Node::AttributeCompareInt(*op, program.attr(name), *n))
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
