//! CESQL built-in functions: string manipulation, `ABS`, and the casting functions `INT`,
//! `BOOL`, `STRING`, `IS_INT`, `IS_BOOL`. A function is found by name and arity.

use super::ErrorKind;
use super::value::{Kind, Value};

/// How a function takes its arguments.
#[derive(Debug, Clone, Copy)]
pub(super) enum Params {
    /// Exactly these types.
    Fixed(&'static [Kind]),
    /// These first, then any number of this type.
    Variadic(&'static [Kind], Kind),
    /// One argument of any type (the casting functions).
    AnyOne,
}

/// A function's body: its value, and its own error if it had one.
type Body = for<'x> fn(Vec<Value<'x>>) -> (Value<'static>, Option<ErrorKind>);

/// A built-in function.
#[derive(Debug, Clone, Copy)]
pub(super) struct Function {
    pub params: Params,
    pub returns: Kind,
    pub run: Body,
}

/// The function `name` (upper case) that takes `arity` arguments.
pub(super) fn lookup(name: &str, arity: usize) -> Option<Function> {
    use Kind::{Bool, Int, Str};
    let (params, returns, run): (Params, Kind, Body) = match (name, arity) {
        ("LENGTH", 1) => (Params::Fixed(&[Str]), Int, |a| ok(Value::Int(len(&text(&a[0])) as i32))),
        ("CONCAT", _) => (Params::Variadic(&[], Str), Str, |a| {
            ok(Value::Str(a.iter().map(text).collect::<String>().into()))
        }),
        ("CONCAT_WS", 1..) => (Params::Variadic(&[Str], Str), Str, |a| {
            let parts: Vec<String> = a[1..].iter().map(text).collect();
            ok(Value::Str(parts.join(&text(&a[0])).into()))
        }),
        ("LOWER", 1) => (Params::Fixed(&[Str]), Str, |a| ok(Value::Str(text(&a[0]).to_lowercase().into()))),
        ("UPPER", 1) => (Params::Fixed(&[Str]), Str, |a| ok(Value::Str(text(&a[0]).to_uppercase().into()))),
        ("TRIM", 1) => (Params::Fixed(&[Str]), Str, |a| ok(Value::Str(text(&a[0]).trim().to_owned().into()))),
        ("LEFT", 2) => (Params::Fixed(&[Str, Int]), Str, |a| side(&a, true)),
        ("RIGHT", 2) => (Params::Fixed(&[Str, Int]), Str, |a| side(&a, false)),
        ("SUBSTRING", 2) => (Params::Fixed(&[Str, Int]), Str, |a| substring(&text(&a[0]), int(&a[1]), None)),
        ("SUBSTRING", 3) => {
            (Params::Fixed(&[Str, Int, Int]), Str, |a| substring(&text(&a[0]), int(&a[1]), Some(int(&a[2]))))
        }
        ("ABS", 1) => (Params::Fixed(&[Int]), Int, |a| match int(&a[0]).checked_abs() {
            Some(n) => ok(Value::Int(n)),
            None => (Value::Int(i32::MAX), Some(ErrorKind::Math)),
        }),
        ("INT", 1) => (Params::AnyOne, Int, |a| explicit(a, Int)),
        ("BOOL", 1) => (Params::AnyOne, Bool, |a| explicit(a, Bool)),
        ("STRING", 1) => (Params::AnyOne, Str, |a| explicit(a, Str)),
        ("IS_INT", 1) => (Params::AnyOne, Bool, |a| is(a, Int)),
        ("IS_BOOL", 1) => (Params::AnyOne, Bool, |a| is(a, Bool)),
        _ => return None,
    };
    Some(Function { params, returns, run })
}

/// Whether some function of that name exists (for the error message).
pub(super) fn known(name: &str) -> bool {
    (0..4).any(|arity| lookup(name, arity).is_some())
}

fn ok(value: Value<'static>) -> (Value<'static>, Option<ErrorKind>) {
    (value, None)
}

fn text(value: &Value<'_>) -> String {
    match value {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

fn int(value: &Value<'_>) -> i32 {
    match value {
        Value::Int(n) => *n,
        _ => 0,
    }
}

fn len(s: &str) -> usize {
    s.chars().count()
}

fn explicit(mut args: Vec<Value<'_>>, kind: Kind) -> (Value<'static>, Option<ErrorKind>) {
    match args.pop().map(|v| v.cast(kind, true)) {
        Some(Ok(value)) => ok(value.into_owned()),
        Some(Err((zero, error))) => (zero.into_owned(), Some(error)),
        None => (Value::zero(kind), Some(ErrorKind::FunctionEvaluation)),
    }
}

fn is(mut args: Vec<Value<'_>>, kind: Kind) -> (Value<'static>, Option<ErrorKind>) {
    ok(Value::Bool(args.pop().is_some_and(|v| v.cast(kind, false).is_ok())))
}

/// `LEFT` / `RIGHT`: the first or last `n` characters; a negative `n` returns the string
/// and an error.
fn side(args: &[Value<'_>], left: bool) -> (Value<'static>, Option<ErrorKind>) {
    let (s, n) = (text(&args[0]), int(&args[1]));
    let Ok(n) = usize::try_from(n) else {
        return (Value::Str(s.into()), Some(ErrorKind::FunctionEvaluation));
    };
    let count = len(&s);
    let kept: String =
        if left { s.chars().take(n).collect() } else { s.chars().skip(count.saturating_sub(n)).collect() };
    ok(Value::Str(kept.into()))
}

/// `SUBSTRING(x, pos[, len])`, 1-based; a negative `pos` counts from the end.
fn substring(s: &str, pos: i32, length: Option<i32>) -> (Value<'static>, Option<ErrorKind>) {
    let count = len(s) as i64;
    let pos = i64::from(pos);
    let fail = (Value::Str("".into()), Some(ErrorKind::FunctionEvaluation));
    if pos > count || pos < -count || length.is_some_and(|l| l < 0) {
        return fail;
    }
    if pos == 0 {
        return ok(Value::Str("".into()));
    }
    let start = if pos > 0 { pos - 1 } else { count + pos } as usize;
    let take = length.map_or(usize::MAX, |l| l as usize);
    ok(Value::Str(s.chars().skip(start).take(take).collect::<String>().into()))
}
