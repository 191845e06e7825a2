//! The CESQL parser: tokens to an [`Expr`] tree, with the precedence of the reference
//! grammar: unary `NOT` and `-` bind tightest, then `LIKE` and `IN`, then `* / %`, `+ -`,
//! comparisons, and last `AND`, `OR`, `XOR` (one level, right-associative).

use super::ParseError;
use super::lexer::{Tok, Token};
use super::value::Value;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    And,
    Or,
    Xor,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// One element of a `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LikePart {
    /// `%`: any run of characters.
    Any,
    /// `_`: exactly one character.
    One,
    /// A character matched as is.
    Char(char),
}

/// An expression tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expr {
    Literal(Value<'static>),
    Attribute(String),
    Exists(String),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Like { value: Box<Expr>, pattern: Vec<LikePart>, negated: bool },
    In { value: Box<Expr>, set: Vec<Expr>, negated: bool },
    Call { name: String, args: Vec<Expr>, at: usize },
}

/// Tokens an expression may have.
pub(super) const MAX_TOKENS: usize = 4096;
/// How deep an expression may nest (parentheses, arguments, `NOT`/`-` chains, operator
/// chains: `1 + 1 + …` is as deep as it is long). Parsing and evaluating recurse that deep,
/// so deeper input is refused rather than allowed to exhaust the stack.
pub(super) const MAX_DEPTH: usize = 64;

/// Parses a whole expression.
pub(super) fn parse(tokens: Vec<Token>) -> Result<Expr, ParseError> {
    if tokens.len() > MAX_TOKENS {
        let at = tokens.get(MAX_TOKENS).map_or(0, |t| t.at);
        return Err(ParseError::new(
            at,
            format!("the expression is too long (more than {MAX_TOKENS} tokens)"),
        ));
    }
    let mut parser = Parser { tokens, next: 0, depth: 0 };
    let expr = parser.logic()?;
    match parser.peek() {
        Tok::End if depth(&expr) > MAX_DEPTH => {
            Err(ParseError::new(0, format!("nested more than {MAX_DEPTH} levels deep")))
        }
        Tok::End => Ok(expr),
        other => Err(ParseError::new(parser.at(), format!("unexpected {}", describe(other)))),
    }
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.next).map_or(&Tok::End, |t| &t.kind)
    }

    fn peek_second(&self) -> &Tok {
        self.tokens.get(self.next + 1).map_or(&Tok::End, |t| &t.kind)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(0, |t| t.at)
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        self.next += 1;
        tok
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(name) if name.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, symbol: &str) -> Result<(), ParseError> {
        match self.peek() {
            Tok::Sym(s) if *s == symbol => {
                self.next += 1;
                Ok(())
            }
            other => {
                Err(ParseError::new(self.at(), format!("expected `{symbol}`, found {}", describe(other))))
            }
        }
    }

    /// Runs `rule` one nesting level deeper, refusing past [`MAX_DEPTH`].
    fn nested(&mut self, rule: fn(&mut Self) -> Result<Expr, ParseError>) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::new(self.at(), format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        let expr = rule(self);
        self.depth -= 1;
        expr
    }

    fn logic(&mut self) -> Result<Expr, ParseError> {
        self.nested(Self::logic_level)
    }

    fn logic_level(&mut self) -> Result<Expr, ParseError> {
        let left = self.comparison()?;
        let op = if self.keyword("AND") {
            BinOp::And
        } else if self.keyword("OR") {
            BinOp::Or
        } else if self.keyword("XOR") {
            BinOp::Xor
        } else {
            return Ok(left);
        };
        self.next += 1;
        let right = self.logic()?;
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    /// One left-associative level: operands from `operand`, joined by the operators `op` knows.
    fn level(
        &mut self,
        op: fn(&Tok) -> Option<BinOp>,
        operand: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let mut left = operand(self)?;
        while let Some(op) = op(self.peek()) {
            self.next += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(operand(self)?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        self.level(
            |tok| match tok {
                Tok::Sym("=") => Some(BinOp::Eq),
                Tok::Sym("!=" | "<>") => Some(BinOp::NotEq),
                Tok::Sym("<") => Some(BinOp::Lt),
                Tok::Sym("<=") => Some(BinOp::Le),
                Tok::Sym(">") => Some(BinOp::Gt),
                Tok::Sym(">=") => Some(BinOp::Ge),
                _ => None,
            },
            Self::additive,
        )
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        self.level(
            |tok| match tok {
                Tok::Sym("+") => Some(BinOp::Add),
                Tok::Sym("-") => Some(BinOp::Sub),
                _ => None,
            },
            Self::multiplicative,
        )
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        self.level(
            |tok| match tok {
                Tok::Sym("*") => Some(BinOp::Mul),
                Tok::Sym("/") => Some(BinOp::Div),
                Tok::Sym("%") => Some(BinOp::Rem),
                _ => None,
            },
            Self::postfix,
        )
    }

    /// `x [NOT] LIKE 'pattern'` and `x [NOT] IN (…)`.
    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let mut value = self.unary()?;
        loop {
            let negated = self.keyword("NOT")
                && matches!(self.peek_second(), Tok::Ident(w) if w.eq_ignore_ascii_case("LIKE") || w.eq_ignore_ascii_case("IN"));
            if negated {
                self.next += 1;
            }
            if self.keyword("LIKE") {
                self.next += 1;
                let at = self.at();
                let Tok::Str(pattern) = self.bump() else {
                    return Err(ParseError::new(at, "LIKE takes a string literal pattern"));
                };
                value = Expr::Like { value: Box::new(value), pattern: like_pattern(&pattern), negated };
            } else if self.keyword("IN") {
                self.next += 1;
                self.expect("(")?;
                let mut set = vec![self.logic()?];
                while matches!(self.peek(), Tok::Sym(",")) {
                    self.next += 1;
                    set.push(self.logic()?);
                }
                self.expect(")")?;
                value = Expr::In { value: Box::new(value), set, negated };
            } else {
                return Ok(value);
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.keyword("NOT") {
            self.next += 1;
            return Ok(Expr::Not(Box::new(self.nested(Self::unary)?)));
        }
        if matches!(self.peek(), Tok::Sym("-")) {
            self.next += 1;
            if let Tok::Int(n) = *self.peek() {
                self.next += 1;
                // -2147483648 is a literal; its magnitude alone is out of range.
                return i32::try_from(-n)
                    .map(|n| Expr::Literal(Value::Int(n)))
                    .map_err(|_| ParseError::new(self.at(), "integer literal out of the 32-bit range"));
            }
            return Ok(Expr::Negate(Box::new(self.nested(Self::unary)?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let at = self.at();
        match self.bump() {
            Tok::Int(n) => i32::try_from(n)
                .map(|n| Expr::Literal(Value::Int(n)))
                .map_err(|_| ParseError::new(at, "integer literal out of the 32-bit range")),
            Tok::Str(s) => Ok(Expr::Literal(Value::Str(s.into()))),
            Tok::Sym("(") => {
                let inner = self.logic()?;
                self.expect(")")?;
                Ok(inner)
            }
            Tok::Ident(word) if word.eq_ignore_ascii_case("TRUE") => Ok(Expr::Literal(Value::Bool(true))),
            Tok::Ident(word) if word.eq_ignore_ascii_case("FALSE") => Ok(Expr::Literal(Value::Bool(false))),
            Tok::Ident(word) if word.eq_ignore_ascii_case("EXISTS") => {
                let at = self.at();
                match self.bump() {
                    Tok::Ident(name) => attribute_name(&name, at).map(Expr::Exists),
                    other => Err(ParseError::new(
                        at,
                        format!("EXISTS takes an attribute name, found {}", describe(&other)),
                    )),
                }
            }
            Tok::Ident(word) if matches!(self.peek(), Tok::Sym("(")) => {
                if !word.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
                    return Err(ParseError::new(at, format!("{word:?} is not a function name")));
                }
                self.next += 1;
                let mut args = Vec::new();
                if !matches!(self.peek(), Tok::Sym(")")) {
                    args.push(self.logic()?);
                    while matches!(self.peek(), Tok::Sym(",")) {
                        self.next += 1;
                        args.push(self.logic()?);
                    }
                }
                self.expect(")")?;
                Ok(Expr::Call { name: word.to_ascii_uppercase(), args, at })
            }
            Tok::Ident(word) if is_keyword(&word) => {
                Err(ParseError::new(at, format!("unexpected keyword {}", word.to_ascii_uppercase())))
            }
            Tok::Ident(word) => attribute_name(&word, at).map(Expr::Attribute),
            other => Err(ParseError::new(at, format!("expected a value, found {}", describe(&other)))),
        }
    }
}

/// The depth of `expr`, measured without recursion (so any tree the parser built can be
/// measured, however deep).
fn depth(expr: &Expr) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(expr, 1)];
    while let Some((expr, level)) = stack.pop() {
        deepest = deepest.max(level);
        match expr {
            Expr::Not(inner) | Expr::Negate(inner) => stack.push((inner, level + 1)),
            Expr::Binary(_, left, right) => stack.extend([(&**left, level + 1), (&**right, level + 1)]),
            Expr::Like { value, .. } => stack.push((value, level + 1)),
            Expr::In { value, set, .. } => {
                stack.push((value, level + 1));
                stack.extend(set.iter().map(|e| (e, level + 1)));
            }
            Expr::Call { args, .. } => stack.extend(args.iter().map(|e| (e, level + 1))),
            Expr::Literal(_) | Expr::Attribute(_) | Expr::Exists(_) => {}
        }
    }
    deepest
}

/// An attribute name: letters and digits, compared in lower case.
fn attribute_name(name: &str, at: usize) -> Result<String, ParseError> {
    if name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(ParseError::new(at, format!("{name:?} is not an attribute name (letters and digits only)")))
    }
}

fn is_keyword(word: &str) -> bool {
    ["AND", "OR", "XOR", "NOT", "LIKE", "IN", "EXISTS"].iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// `%` and `_` are wildcards unless escaped with `\`; any other backslash is literal.
fn like_pattern(text: &str) -> Vec<LikePart> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '%' => parts.push(LikePart::Any),
            '_' => parts.push(LikePart::One),
            '\\' if matches!(chars.peek(), Some('%' | '_')) => {
                parts.extend(chars.next().map(LikePart::Char));
            }
            c => parts.push(LikePart::Char(c)),
        }
    }
    parts
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(word) => format!("`{word}`"),
        Tok::Int(n) => format!("`{n}`"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::End => "the end of the expression".to_owned(),
    }
}
