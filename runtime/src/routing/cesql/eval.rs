//! Evaluating a CESQL tree against an event's attributes ("complete evaluation": every
//! error is collected and the expression still has a value).
//!
//! An operand naming a missing attribute makes its operator return the zero value of the
//! operator's type (with a missing-attribute error), without computing anything. Filter
//! nodes (the dialects) pass or fail; a `sql` one passes when its expression is `true` with
//! no error.

use super::functions::{self, Params};
use super::fused;
use super::parser::BinOp;
use super::program::{Attr, Code, Node, NodeId, Span};
use super::value::{Kind, Value};
use super::{Attributes, ErrorKind};

/// One evaluation: the program, the event and the errors so far.
pub(super) struct Eval<'a, C: ?Sized> {
    pub program: &'a C,
    pub event: &'a dyn Attributes,
    pub errors: Vec<ErrorKind>,
}

impl<'a, C: Code + ?Sized> Eval<'a, C> {
    pub(super) fn new(program: &'a C, event: &'a dyn Attributes) -> Self {
        Eval { program, event, errors: Vec::new() }
    }

    /// Whether the filter node `id` passes.
    pub(super) fn passes(&mut self, id: NodeId) -> bool {
        let program = self.program;
        match program.node(id) {
            Node::Compare(how, attr, wanted) => self
                .read(attr)
                .map(Value::into_text)
                .is_some_and(|value| how.holds(value.as_bytes(), program.bytes(wanted))),
            Node::All(list) => program.linked(list).all(|id| self.passes(id)),
            Node::Any(list) => program.linked(list).any(|id| self.passes(id)),
            Node::Fails(inner) => !self.passes(inner),
            Node::Sql(root) => self.sql(root),
            _ => false,
        }
    }

    /// Whether the CESQL expression `root` is `true` without errors.
    pub(super) fn sql(&mut self, root: NodeId) -> bool {
        self.errors.clear();
        self.eval(root) == Some(Value::Bool(true)) && self.errors.is_empty()
    }

    fn read(&self, attr: Attr) -> Option<Value<'a>> {
        match attr {
            Attr::Context(name) => self.event.context(name),
            Attr::Extension(name) => self.event.extension(self.program.text(name)),
        }
    }

    /// The attribute's value; a missing one is a `MissingAttribute` error.
    fn read_or_error(&mut self, attr: Attr) -> Option<Value<'a>> {
        let value = self.read(attr);
        if value.is_none() {
            self.errors.push(ErrorKind::MissingAttribute);
        }
        value
    }

    /// The value of `expr`; `None` when it is a missing attribute.
    ///
    /// An operator whose operands raised an error returns the zero value of its type (so
    /// `true AND (1 != 1 / 0)` is `false`); an error of its own (a failed cast of an
    /// operand, a division by zero) leaves it computing with the zero value it got.
    pub(super) fn eval(&mut self, expr: NodeId) -> Option<Value<'a>> {
        let program = self.program;
        match program.node(expr) {
            literal @ (Node::Bool(_) | Node::Int(_) | Node::Str(_)) => program.literal(literal),
            Node::Attribute(attr) => self.read_or_error(attr),
            Node::Exists(attr) => Some(Value::Bool(self.read(attr).is_some())),
            Node::Not(inner) => Some(match self.operand(inner, Kind::Bool) {
                Some(Value::Bool(b)) => Value::Bool(!b),
                _ => Value::Bool(false),
            }),
            Node::Negate(inner) => Some(match self.operand(inner, Kind::Int) {
                Some(Value::Int(n)) => self.math(n.checked_neg()),
                _ => Value::Int(0),
            }),
            Node::Binary(op, left, right) => Some(self.binary(op, left, right)),
            Node::Like { value, parts, negated } => Some(match self.operand(value, Kind::Str) {
                Some(Value::Str(s)) => Value::Bool(like(&s, program, parts) != negated),
                _ => Value::Bool(false),
            }),
            Node::In { value, set, negated } => Some(self.within(value, set, negated)),
            Node::Call { name, args } => Some(self.call(name, args)),
            Node::AttributeStartsWith { attr, text, negated } => {
                Some(Value::Bool(match self.read_or_error(attr).map(|value| self.cast(value, Kind::Str)) {
                    Some(Value::Str(s)) => s.as_bytes().starts_with(program.bytes(text)) != negated,
                    _ => false,
                }))
            }
            Node::AttributeCompareInt(op, attr, right) => {
                Some(Value::Bool(match self.read_or_error(attr).map(|value| self.cast(value, Kind::Int)) {
                    Some(Value::Int(left)) => fused::order(op, left, right),
                    _ => false,
                }))
            }
            // Filter nodes and list elements are never an expression's operand.
            _ => Some(Value::Bool(false)),
        }
    }

    /// Evaluates `expr` and casts it to `kind`; `None` when evaluating it raised an error
    /// (the caller then returns its zero value).
    fn operand(&mut self, expr: NodeId, kind: Kind) -> Option<Value<'a>> {
        let before = self.errors.len();
        let value = self.eval(expr).filter(|_| self.errors.len() == before)?;
        Some(self.cast(value, kind))
    }

    /// Both operands of a binary operator, cast to `kind`; `None` when evaluating either
    /// raised an error.
    fn operands(&mut self, left: NodeId, right: NodeId, kind: Kind) -> Option<(Value<'a>, Value<'a>)> {
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

    fn boolean(&mut self, expr: NodeId) -> Option<bool> {
        match self.operand(expr, Kind::Bool) {
            Some(Value::Bool(b)) => Some(b),
            _ => None,
        }
    }

    fn binary(&mut self, op: BinOp, left: NodeId, right: NodeId) -> Value<'a> {
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
    fn within(&mut self, value: NodeId, set: Span, negated: bool) -> Value<'a> {
        let before = self.errors.len();
        let value = self.eval(value);
        let elements: Vec<Option<Value<'a>>> = self.program.linked(set).map(|e| self.eval(e)).collect();
        let Some(value) = value.filter(|_| self.errors.len() == before) else { return Value::Bool(false) };
        let kind = value.kind();
        let mut found = false;
        for element in elements.into_iter().flatten() {
            found |= self.cast(element, kind) == value;
        }
        Value::Bool(found != negated)
    }

    fn call(&mut self, name: Span, args: Span) -> Value<'a> {
        let Some(function) = functions::lookup(self.program.text(name), args.len as usize) else {
            self.errors.push(ErrorKind::MissingFunction);
            return Value::Bool(false);
        };
        let before = self.errors.len();
        let values: Vec<Option<Value<'a>>> = self.program.linked(args).map(|arg| self.eval(arg)).collect();
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

/// Whether `text` matches the `LIKE` pattern (`LikeAny`, `LikeOne`, `LikeText` nodes):
/// iterative, backtracking only to the last `%`; positions are byte offsets.
fn like<C: Code + ?Sized>(text: &str, program: &C, pattern: Span) -> bool {
    let (mut t, mut p) = (0, 0);
    // After a `%`: the part that follows it and where in the text it is tried next.
    let mut star: Option<(usize, usize)> = None;
    loop {
        let part = (p < pattern.len as usize).then(|| program.node(pattern.start + p as u32));
        let advanced = match part {
            None if t == text.len() => return true,
            None => None,
            Some(Node::LikeAny) => {
                star = Some((p + 1, t));
                Some(t)
            }
            Some(Node::LikeOne) => text[t..].chars().next().map(|c| t + c.len_utf8()),
            Some(Node::LikeText(span)) => {
                let literal = program.bytes(span);
                text.as_bytes()[t..].starts_with(literal).then(|| t + literal.len())
            }
            Some(_) => return false,
        };
        match advanced {
            Some(next) => {
                t = next;
                p += 1;
            }
            // Let the last `%` take one more character and try again from there.
            None => match star {
                Some((after, from)) if from < text.len() => {
                    let next = from + text[from..].chars().next().map_or(1, char::len_utf8);
                    star = Some((after, next));
                    (p, t) = (after, next);
                }
                _ => return false,
            },
        }
    }
}
