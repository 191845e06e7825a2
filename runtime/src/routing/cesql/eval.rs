//! Evaluating a CESQL tree against an event's attributes ("complete evaluation": every
//! error is collected and the expression still has a value).
//!
//! An operand naming a missing attribute makes its operator return the zero value of the
//! operator's type (with a missing-attribute error), without computing anything.

use super::functions::{self, Params};
use super::parser::{BinOp, Expr, LikePart};
use std::borrow::Cow;

use super::value::{Kind, Value};
use super::{Attributes, ErrorKind};

/// One evaluation: the event and the errors so far.
pub(super) struct Eval<'a> {
    pub event: &'a dyn Attributes,
    pub errors: Vec<ErrorKind>,
}

impl<'a> Eval<'a> {
    /// The value of `expr`; `None` when it is a missing attribute.
    ///
    /// An operator whose operands raised an error returns the zero value of its type (so
    /// `true AND (1 != 1 / 0)` is `false`); an error of its own (a failed cast of an
    /// operand, a division by zero) leaves it computing with the zero value it got.
    pub(super) fn eval(&mut self, expr: &'a Expr) -> Option<Value<'a>> {
        match expr {
            Expr::Literal(Value::Str(s)) => Some(Value::Str(Cow::Borrowed(s))),
            Expr::Literal(value) => Some(value.clone()),
            Expr::Attribute(name) => {
                let value = self.event.attribute(name);
                if value.is_none() {
                    self.errors.push(ErrorKind::MissingAttribute);
                }
                value
            }
            Expr::Exists(name) => Some(Value::Bool(self.event.attribute(name).is_some())),
            Expr::Not(inner) => Some(match self.operand(inner, Kind::Bool) {
                Some(Value::Bool(b)) => Value::Bool(!b),
                _ => Value::Bool(false),
            }),
            Expr::Negate(inner) => Some(match self.operand(inner, Kind::Int) {
                Some(Value::Int(n)) => self.math(n.checked_neg()),
                _ => Value::Int(0),
            }),
            Expr::Binary(op, left, right) => Some(self.binary(*op, left, right)),
            Expr::Like { value, pattern, negated } => Some(match self.operand(value, Kind::Str) {
                Some(Value::Str(s)) => Value::Bool(like(&s, pattern) != *negated),
                _ => Value::Bool(false),
            }),
            Expr::In { value, set, negated } => Some(self.within(value, set, *negated)),
            Expr::Call { name, args, .. } => Some(self.call(name, args)),
        }
    }

    /// Evaluates `expr` and casts it to `kind`; `None` when evaluating it raised an error
    /// (the caller then returns its zero value).
    fn operand(&mut self, expr: &'a Expr, kind: Kind) -> Option<Value<'a>> {
        let before = self.errors.len();
        let value = self.eval(expr).filter(|_| self.errors.len() == before)?;
        Some(self.cast(value, kind))
    }

    /// Both operands of a binary operator, cast to `kind`; `None` when evaluating either
    /// raised an error.
    fn operands(&mut self, left: &'a Expr, right: &'a Expr, kind: Kind) -> Option<(Value<'a>, Value<'a>)> {
        let before = self.errors.len();
        let (l, r) = (self.eval(left), self.eval(right));
        let (l, r) = l.zip(r).filter(|_| self.errors.len() == before)?;
        Some((self.cast(l, kind), self.cast(r, kind)))
    }

    fn cast(&mut self, value: Value<'a>, kind: Kind) -> Value<'a> {
        if value.kind() == kind {
            return value;
        }
        value.cast(kind, false).unwrap_or_else(|(zero, error)| {
            self.errors.push(error);
            zero
        })
    }

    fn math(&mut self, result: Option<i32>) -> Value<'a> {
        result.map(Value::Int).unwrap_or_else(|| {
            self.errors.push(ErrorKind::Math);
            Value::Int(0)
        })
    }

    fn boolean(&mut self, expr: &'a Expr) -> Option<bool> {
        match self.operand(expr, Kind::Bool) {
            Some(Value::Bool(b)) => Some(b),
            _ => None,
        }
    }

    fn binary(&mut self, op: BinOp, left: &'a Expr, right: &'a Expr) -> Value<'a> {
        match op {
            BinOp::And | BinOp::Or | BinOp::Xor => {
                let Some(l) = self.boolean(left) else { return Value::Bool(false) };
                let result = match op {
                    BinOp::And if !l => false,
                    BinOp::Or if l => true,
                    BinOp::Xor => self.boolean(right).is_some_and(|r| l != r),
                    _ => self.boolean(right).unwrap_or(false),
                };
                Value::Bool(result)
            }
            BinOp::Eq | BinOp::NotEq => {
                let before = self.errors.len();
                let (l, r) = (self.eval(left), self.eval(right));
                let (Some(l), Some(r)) = (l, r) else { return Value::Bool(false) };
                if self.errors.len() > before {
                    return Value::Bool(false);
                }
                // `=` is defined for every type: the right operand's type decides.
                let l = match l.cast(r.kind(), false) {
                    Ok(l) => l,
                    Err(_) => {
                        self.errors.push(ErrorKind::Cast);
                        return Value::Bool(false);
                    }
                };
                Value::Bool((l == r) == (op == BinOp::Eq))
            }
            _ => {
                let comparison = matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge);
                let Some((Value::Int(l), Value::Int(r))) = self.operands(left, right, Kind::Int) else {
                    return if comparison { Value::Bool(false) } else { Value::Int(0) };
                };
                match op {
                    BinOp::Lt => Value::Bool(l < r),
                    BinOp::Le => Value::Bool(l <= r),
                    BinOp::Gt => Value::Bool(l > r),
                    BinOp::Ge => Value::Bool(l >= r),
                    BinOp::Add => self.math(l.checked_add(r)),
                    BinOp::Sub => self.math(l.checked_sub(r)),
                    BinOp::Mul => self.math(l.checked_mul(r)),
                    BinOp::Div => self.math(l.checked_div(r)),
                    _ => self.math(l.checked_rem(r)),
                }
            }
        }
    }

    /// `x IN (…)`: the elements are cast to the type of `x`.
    fn within(&mut self, value: &'a Expr, set: &'a [Expr], negated: bool) -> Value<'a> {
        let before = self.errors.len();
        let value = self.eval(value);
        let elements: Vec<Option<Value<'a>>> = set.iter().map(|e| self.eval(e)).collect();
        let Some(value) = value.filter(|_| self.errors.len() == before) else { return Value::Bool(false) };
        let kind = value.kind();
        let mut found = false;
        for element in elements.into_iter().flatten() {
            found |= self.cast(element, kind) == value;
        }
        Value::Bool(found != negated)
    }

    fn call(&mut self, name: &str, args: &'a [Expr]) -> Value<'a> {
        let Some(function) = functions::lookup(name, args.len()) else {
            self.errors.push(ErrorKind::MissingFunction);
            return Value::Bool(false);
        };
        let before = self.errors.len();
        let values: Vec<Option<Value<'a>>> = args.iter().map(|arg| self.eval(arg)).collect();
        let Some(values) =
            values.into_iter().collect::<Option<Vec<Value<'a>>>>().filter(|_| self.errors.len() == before)
        else {
            return Value::zero(function.returns);
        };
        let values = values
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let kind = match &function.params {
                    Params::Fixed(kinds) => kinds.get(i).copied(),
                    Params::Variadic(fixed, rest) => Some(fixed.get(i).copied().unwrap_or(*rest)),
                    Params::AnyOne => None,
                };
                match kind {
                    Some(kind) => self.cast(value, kind),
                    None => value,
                }
            })
            .collect();
        let (value, error) = (function.run)(values);
        self.errors.extend(error);
        value
    }
}

/// Whether `text` matches the `LIKE` pattern (iterative, backtracking only to the last `%`;
/// positions are byte offsets, advanced a character at a time).
fn like(text: &str, pattern: &[LikePart]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = text[t..].chars().next() {
        match pattern.get(p) {
            Some(LikePart::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikePart::One) => {
                t += c.len_utf8();
                p += 1;
            }
            Some(LikePart::Char(want)) if *want == c => {
                t += c.len_utf8();
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    let next = st + text[st..].chars().next().map_or(1, char::len_utf8);
                    p = sp + 1;
                    t = next;
                    star = Some((sp, next));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|part| *part == LikePart::Any)
}
