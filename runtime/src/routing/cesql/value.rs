//! CESQL values (boolean, 32-bit integer, string), their zero values and the casts between
//! them, implicit (an operator's operand) and explicit (`INT`, `BOOL`, `STRING`).

use std::borrow::Cow;

use super::ErrorKind;

/// A CESQL value; a string may borrow from the event or the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A boolean.
    Bool(bool),
    /// A 32-bit signed integer.
    Int(i32),
    /// A string.
    Str(Cow<'a, str>),
}

/// A CESQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Bool,
    Int,
    Str,
}

impl<'a> Value<'a> {
    /// The same value, owning its string.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Bool(b) => Value::Bool(b),
            Value::Int(n) => Value::Int(n),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// The canonical text of the value (`true`, `42`, or the string itself, borrowed).
    pub fn into_text(self) -> Cow<'a, str> {
        match self {
            Value::Str(s) => s,
            Value::Int(n) => Cow::Owned(n.to_string()),
            Value::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        }
    }

    pub(super) fn kind(&self) -> Kind {
        match self {
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) => Kind::Int,
            Value::Str(_) => Kind::Str,
        }
    }

    /// The zero value of `kind`: `false`, `0`, `""`.
    pub(super) fn zero(kind: Kind) -> Value<'static> {
        match kind {
            Kind::Bool => Value::Bool(false),
            Kind::Int => Value::Int(0),
            Kind::Str => Value::Str(Cow::Borrowed("")),
        }
    }

    /// Casts to `kind`; a failed cast is the zero value and a cast error. `explicit` is the
    /// `INT`/`BOOL`/`STRING` functions: only they turn an integer into a boolean (an
    /// operator's implicit cast of one is an error, as the compatibility kit expects).
    pub(super) fn cast(self, kind: Kind, explicit: bool) -> Result<Value<'a>, (Value<'a>, ErrorKind)> {
        let fail = || Err((Value::zero(kind), ErrorKind::Cast));
        match (self, kind) {
            (value, kind) if value.kind() == kind => Ok(value),
            (value, Kind::Str) => Ok(Value::Str(value.into_text())),
            (Value::Bool(b), Kind::Int) => Ok(Value::Int(i32::from(b))),
            (Value::Str(s), Kind::Int) => s.parse::<i32>().map(Value::Int).or_else(|_| fail()),
            (Value::Str(s), Kind::Bool) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            (Value::Str(s), Kind::Bool) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            (Value::Int(n), Kind::Bool) if explicit => Ok(Value::Bool(n != 0)),
            _ => fail(),
        }
    }
}

impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{s:?}"),
        }
    }
}
