//! CESQL tokens: keywords and identifiers (case-insensitive keywords), integer and string
//! literals, operators and punctuation, each with its byte offset for error messages.

use super::ParseError;

/// One token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Tok,
    pub at: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    /// A name as written (`[A-Za-z0-9_]+` not starting with a digit).
    Ident(String),
    /// Digits (the sign is a unary operator).
    Int(i64),
    /// A quoted string, escapes resolved.
    Str(String),
    /// An operator or punctuation: `( ) , = != <> < <= > >= + - * / %`.
    Sym(&'static str),
    /// End of the input.
    End,
}

const SYMBOLS: [&str; 15] = ["!=", "<>", "<=", ">=", "(", ")", ",", "=", "<", ">", "+", "-", "*", "/", "%"];

/// Splits `text` into tokens, ending with [`Tok::End`].
pub(super) fn tokens(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Token { kind: Tok::Ident(text[start..i].to_owned()), at: start });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
                return Err(ParseError::new(start, "a number runs into a name"));
            }
            let value = text[start..i]
                .parse::<i64>()
                .ok()
                .filter(|n| *n <= i64::from(i32::MAX) + 1)
                .ok_or_else(|| ParseError::new(start, "integer literal out of the 32-bit range"))?;
            out.push(Token { kind: Tok::Int(value), at: start });
        } else if c == b'\'' || c == b'"' {
            let (value, end) = string(text, i)?;
            out.push(Token { kind: Tok::Str(value), at: i });
            i = end;
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            out.push(Token { kind: Tok::Sym(symbol), at: i });
            i += symbol.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(ParseError::new(i, format!("unexpected character {ch:?}")));
        }
    }
    out.push(Token { kind: Tok::End, at: text.len() });
    Ok(out)
}

/// The string literal starting at `start` (its quote): the value and the offset after it.
/// Only the delimiting quote is escaped (`\'` in `'…'`, `\"` in `"…"`); any other
/// backslash is kept as written.
fn string(text: &str, start: usize) -> Result<(String, usize), ParseError> {
    let quote = text.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c == quote {
            return Ok((value, start + 1 + offset + 1));
        }
        if c == '\\' && chars.peek().is_some_and(|(_, next)| *next == quote) {
            chars.next();
            value.push(quote);
        } else {
            value.push(c);
        }
    }
    Err(ParseError::new(start, "unterminated string literal"))
}
