//! The compiled form of CESQL expressions and of subscription filters, as it is built: one
//! flat array of nodes (children by index) and one string of all their text, instead of a
//! pointer per tree node. With thousands of subscriptions the filters do not stay in cache,
//! and each pointer chased is a miss; once built, a program is packed into one allocation
//! (the `packed` module). [`Code`] reads either form.
//!
//! Context attribute names are resolved here, once, into a [`ContextAttribute`]. A node's
//! children are always compiled before it.

use super::attribute::ContextAttribute;
use super::fused::{self, Fused};
use super::parser::{BinOp, Expr, LikePart};
use super::value::Value;

/// A node's index in [`Program::nodes`].
pub(super) type NodeId = u32;

/// A range of [`Program::text`] (or, for lists, of [`Program::nodes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// An attribute an expression or a filter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attr {
    Context(ContextAttribute),
    /// An extension, by its name in the text.
    Extension(Span),
}

/// How a filter dialect compares an attribute's text with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Comparison {
    /// `exact`.
    Equals,
    /// `prefix`.
    StartsWith,
    /// `suffix`.
    EndsWith,
}

impl Comparison {
    /// Whether `value` equals / starts with / ends with `wanted` (byte-wise, which for
    /// UTF-8 text is the same as character-wise).
    pub(super) fn holds(self, value: &[u8], wanted: &[u8]) -> bool {
        match self {
            Comparison::Equals => value == wanted,
            Comparison::StartsWith => value.starts_with(wanted),
            Comparison::EndsWith => value.ends_with(wanted),
        }
    }
}

/// One node. CESQL nodes have a value; filter nodes (the dialects) pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Node {
    Bool(bool),
    Int(i32),
    Str(Span),
    Attribute(Attr),
    Exists(Attr),
    Not(NodeId),
    Negate(NodeId),
    Binary(BinOp, NodeId, NodeId),
    /// `parts` is a range of `Like*` nodes.
    Like {
        value: NodeId,
        parts: Span,
        negated: bool,
    },
    /// `set` is a range of `Link` nodes.
    In {
        value: NodeId,
        set: Span,
        negated: bool,
    },
    /// `name` is the function's name (looked up with the arity when called); `args` is a
    /// range of `Link` nodes.
    Call {
        name: Span,
        args: Span,
    },
    /// An element of a list: the node it names.
    Link(NodeId),
    LikeAny,
    LikeOne,
    LikeText(Span),
    /// `exact` / `prefix` / `suffix`, one attribute.
    Compare(Comparison, Attr, Span),
    /// Every filter of a range of `Link` nodes passes.
    All(Span),
    /// One of them passes.
    Any(Span),
    /// The filter fails.
    Fails(NodeId),
    /// The CESQL expression rooted there is `true` without errors.
    Sql(NodeId),
    /// Fused `attribute LIKE 'text%'` (see the `fused` module).
    AttributeStartsWith {
        attr: Attr,
        text: Span,
        negated: bool,
    },
    /// Fused `attribute < 5` (or `<=`, `>`, `>=`; see the `fused` module).
    AttributeCompareInt(BinOp, Attr, i32),
}

/// Read access to compiled nodes, in the builder's form ([`Program`]) or packed into one
/// allocation ([`Packed`](super::packed::Packed)).
pub(super) trait Code {
    /// The node `id` (a compiled program only names nodes it has; `Bool(false)` otherwise).
    fn node(&self, id: NodeId) -> Node;

    /// The text a span covers (empty for a span it does not have).
    fn text(&self, span: Span) -> &str;

    /// The bytes of the text a span covers.
    fn bytes(&self, span: Span) -> &[u8] {
        self.text(span).as_bytes()
    }

    /// The nodes a list of `Link`s names.
    fn linked(&self, list: Span) -> impl Iterator<Item = NodeId> + '_ {
        list.range().filter_map(|at| match self.node(at as NodeId) {
            Node::Link(id) => Some(id),
            _ => None,
        })
    }

    /// The literal value of a `Bool`/`Int`/`Str` node.
    fn literal(&self, node: Node) -> Option<Value<'_>> {
        match node {
            Node::Bool(b) => Some(Value::Bool(b)),
            Node::Int(n) => Some(Value::Int(n)),
            Node::Str(span) => Some(Value::Str(self.text(span).into())),
            _ => None,
        }
    }
}

/// Compiled nodes and their text, as they are built.
#[derive(Debug, Clone, Default)]
pub(super) struct Program {
    pub nodes: Vec<Node>,
    pub text: String,
}

impl Code for Program {
    fn node(&self, id: NodeId) -> Node {
        self.nodes.get(id as usize).copied().unwrap_or(Node::Bool(false))
    }

    fn text(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or_default()
    }
}

impl Program {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    fn span_of_text(&mut self, text: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(text);
        Span { start, len: text.len() as u32 }
    }

    /// Appends `nodes` in a row and returns their range.
    fn row(&mut self, nodes: impl IntoIterator<Item = Node>) -> Span {
        let start = self.nodes.len() as u32;
        self.nodes.extend(nodes);
        Span { start, len: self.nodes.len() as u32 - start }
    }

    /// Links to `ids`, in a row.
    pub fn links(&mut self, ids: Vec<NodeId>) -> Span {
        self.row(ids.into_iter().map(Node::Link))
    }

    pub fn attr(&mut self, name: &str) -> Attr {
        match ContextAttribute::parse(name) {
            Some(context) => Attr::Context(context),
            None => Attr::Extension(self.span_of_text(name)),
        }
    }

    /// Compiles `expr` (at most the parser's depth limit deep) and returns its root.
    pub fn expr(&mut self, expr: &Expr) -> NodeId {
        if let Some(fused) = fused::fuse(expr) {
            let node = match fused {
                Fused::StartsWith { name, text, negated } => {
                    let attr = self.attr(name);
                    Node::AttributeStartsWith { attr, text: self.span_of_text(&text), negated }
                }
                Fused::CompareInt(op, name, n) => Node::AttributeCompareInt(op, self.attr(name), n),
            };
            return self.push(node);
        }
        let node = match expr {
            Expr::Literal(Value::Bool(b)) => Node::Bool(*b),
            Expr::Literal(Value::Int(n)) => Node::Int(*n),
            Expr::Literal(Value::Str(s)) => Node::Str(self.span_of_text(s)),
            Expr::Attribute(name) => Node::Attribute(self.attr(name)),
            Expr::Exists(name) => Node::Exists(self.attr(name)),
            Expr::Not(inner) => Node::Not(self.expr(inner)),
            Expr::Negate(inner) => Node::Negate(self.expr(inner)),
            Expr::Binary(op, left, right) => {
                let left = self.expr(left);
                Node::Binary(*op, left, self.expr(right))
            }
            Expr::Like { value, pattern, negated } => {
                let value = self.expr(value);
                let parts = self.like_parts(pattern);
                Node::Like { value, parts, negated: *negated }
            }
            Expr::In { value, set, negated } => {
                let value = self.expr(value);
                let ids = set.iter().map(|e| self.expr(e)).collect();
                Node::In { value, set: self.links(ids), negated: *negated }
            }
            Expr::Call { name, args, .. } => {
                let ids = args.iter().map(|e| self.expr(e)).collect();
                let name = self.span_of_text(name);
                Node::Call { name, args: self.links(ids) }
            }
        };
        self.push(node)
    }

    /// A `LIKE` pattern as a row of nodes; runs of plain characters become one text.
    fn like_parts(&mut self, pattern: &[LikePart]) -> Span {
        let mut parts = Vec::new();
        let mut run = String::new();
        for part in pattern {
            match part {
                LikePart::Char(c) => run.push(*c),
                LikePart::Any | LikePart::One => {
                    if !run.is_empty() {
                        parts.push(Node::LikeText(self.span_of_text(&run)));
                        run.clear();
                    }
                    parts.push(if *part == LikePart::Any { Node::LikeAny } else { Node::LikeOne });
                }
            }
        }
        if !run.is_empty() {
            parts.push(Node::LikeText(self.span_of_text(&run)));
        }
        self.row(parts)
    }

    /// Adds a filter-dialect comparison of `name` with `value`.
    pub fn compare(&mut self, how: Comparison, name: &str, value: &str) -> NodeId {
        let attr = self.attr(name);
        let value = self.span_of_text(value);
        self.push(Node::Compare(how, attr, value))
    }

    /// Adds `node` (a filter combination built from ids this program returned).
    pub fn add(&mut self, node: Node) -> NodeId {
        self.push(node)
    }
}
