//! A compiled program packed into one allocation: a header, the nodes as fixed-size records,
//! then the text. Routing keeps one per filtered subscription, so testing a filter reads one
//! short run of memory (often one or two cache lines) instead of a node array and a string
//! in two places; with thousands of subscriptions those reads are cache misses.
//!
//! Layout: `root: u32`, `count: u32` (little-endian), `count` records of [`RECORD`] bytes,
//! the text. A record is a tag byte and the node's fields; [`Packed::node`] decodes one.

use super::attribute::ContextAttribute;
use super::parser::BinOp;
use super::program::{Attr, Code, Comparison, Node, NodeId, Program, Span};

/// Bytes per node record (tag and fields; the largest node needs 19).
const RECORD: usize = 20;
const HEADER: usize = 8;

const BINOPS: [BinOp; 14] = [
    BinOp::And,
    BinOp::Or,
    BinOp::Xor,
    BinOp::Eq,
    BinOp::NotEq,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Rem,
];
const COMPARISONS: [Comparison; 3] = [Comparison::Equals, Comparison::StartsWith, Comparison::EndsWith];
const CONTEXT: [ContextAttribute; 8] = [
    ContextAttribute::SpecVersion,
    ContextAttribute::Id,
    ContextAttribute::Source,
    ContextAttribute::Type,
    ContextAttribute::Subject,
    ContextAttribute::Time,
    ContextAttribute::DataContentType,
    ContextAttribute::DataSchema,
];

/// A program and its root, in one allocation.
#[derive(Debug, Clone)]
pub(super) struct Packed {
    bytes: Box<[u8]>,
}

impl Packed {
    /// Packs `program`, evaluated from `root`.
    pub fn new(program: &Program, root: NodeId) -> Packed {
        let mut bytes = Vec::with_capacity(HEADER + program.nodes.len() * RECORD + program.text.len());
        bytes.extend_from_slice(&root.to_le_bytes());
        bytes.extend_from_slice(&(program.nodes.len() as u32).to_le_bytes());
        for node in &program.nodes {
            bytes.extend_from_slice(&encode(*node));
        }
        bytes.extend_from_slice(program.text.as_bytes());
        Packed { bytes: bytes.into_boxed_slice() }
    }

    /// Its first byte xor its last (see [`Compiled::warm`](super::Compiled::warm)).
    pub fn warm(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0) ^ self.bytes.last().copied().unwrap_or(0)
    }

    /// The node evaluation starts from.
    pub fn root(&self) -> NodeId {
        self.word(0)
    }

    fn word(&self, at: usize) -> u32 {
        let mut word = [0; 4];
        if let Some(bytes) = self.bytes.get(at..at + 4) {
            word.copy_from_slice(bytes);
        }
        u32::from_le_bytes(word)
    }

    fn text_bytes(&self) -> &[u8] {
        let start = HEADER + self.word(4) as usize * RECORD;
        self.bytes.get(start..).unwrap_or_default()
    }
}

impl Code for Packed {
    fn node(&self, id: NodeId) -> Node {
        let at = HEADER + id as usize * RECORD;
        match self.bytes.get(at..at + RECORD).and_then(|record| <&[u8; RECORD]>::try_from(record).ok()) {
            Some(record) if id < self.word(4) => decode(record).unwrap_or(Node::Bool(false)),
            _ => Node::Bool(false),
        }
    }

    fn text(&self, span: Span) -> &str {
        std::str::from_utf8(self.bytes(span)).unwrap_or_default()
    }

    fn bytes(&self, span: Span) -> &[u8] {
        self.text_bytes().get(span.range()).unwrap_or_default()
    }
}

/// Writes a record's fields in order.
struct Writer {
    record: [u8; RECORD],
    at: usize,
}

impl Writer {
    fn new(tag: u8) -> Writer {
        let mut record = [0; RECORD];
        record[0] = tag;
        Writer { record, at: 1 }
    }

    fn u8(mut self, value: u8) -> Writer {
        self.record[self.at] = value;
        self.at += 1;
        self
    }

    fn u32(mut self, value: u32) -> Writer {
        self.record[self.at..self.at + 4].copy_from_slice(&value.to_le_bytes());
        self.at += 4;
        self
    }

    fn span(self, span: Span) -> Writer {
        self.u32(span.start).u32(span.len)
    }

    /// An attribute always takes 9 bytes, so the fields after it have fixed offsets.
    fn attr(self, attr: Attr) -> Writer {
        match attr {
            Attr::Context(name) => {
                let mut writer = self.u8(0).u8(index(&CONTEXT, name));
                writer.at += 7;
                writer
            }
            Attr::Extension(span) => self.u8(1).span(span),
        }
    }
}

fn index<T: PartialEq>(table: &[T], value: T) -> u8 {
    table.iter().position(|v| *v == value).unwrap_or(0) as u8
}

fn encode(node: Node) -> [u8; RECORD] {
    let w = Writer::new;
    let writer = match node {
        Node::Bool(b) => w(0).u8(b.into()),
        Node::Int(n) => w(1).u32(n as u32),
        Node::Str(span) => w(2).span(span),
        Node::Attribute(attr) => w(3).attr(attr),
        Node::Exists(attr) => w(4).attr(attr),
        Node::Not(id) => w(5).u32(id),
        Node::Negate(id) => w(6).u32(id),
        Node::Binary(op, left, right) => w(7).u8(index(&BINOPS, op)).u32(left).u32(right),
        Node::Like { value, parts, negated } => w(8).u32(value).span(parts).u8(negated.into()),
        Node::In { value, set, negated } => w(9).u32(value).span(set).u8(negated.into()),
        Node::Call { name, args } => w(10).span(name).span(args),
        Node::Link(id) => w(11).u32(id),
        Node::LikeAny => w(12),
        Node::LikeOne => w(13),
        Node::LikeText(span) => w(14).span(span),
        Node::Compare(how, attr, value) => w(15).u8(index(&COMPARISONS, how)).attr(attr).span(value),
        Node::All(list) => w(16).span(list),
        Node::Any(list) => w(17).span(list),
        Node::Fails(id) => w(18).u32(id),
        Node::Sql(id) => w(19).u32(id),
        Node::AttributeStartsWith { attr, text, negated } => w(20).attr(attr).span(text).u8(negated.into()),
        Node::AttributeCompareInt(op, attr, n) => w(21).u8(index(&BINOPS, op)).attr(attr).u32(n as u32),
    };
    writer.record
}

/// Reads fields at fixed offsets of a record (constant offsets: no bounds checks).
struct Reader<'r>(&'r [u8; RECORD]);

impl Reader<'_> {
    fn bool(&self, at: usize) -> bool {
        self.0[at] != 0
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes([self.0[at], self.0[at + 1], self.0[at + 2], self.0[at + 3]])
    }

    fn span(&self, at: usize) -> Span {
        Span { start: self.u32(at), len: self.u32(at + 4) }
    }

    /// An attribute: a kind byte, then a context attribute's index or an extension's span.
    fn attr(&self, at: usize) -> Option<Attr> {
        Some(match self.0[at] {
            0 => Attr::Context(*CONTEXT.get(self.0[at + 1] as usize)?),
            _ => Attr::Extension(self.span(at + 1)),
        })
    }

    fn op(&self, at: usize) -> Option<BinOp> {
        BINOPS.get(self.0[at] as usize).copied()
    }
}

/// The node a record holds (offsets as [`encode`] wrote them; an attribute takes 9 bytes).
fn decode(record: &[u8; RECORD]) -> Option<Node> {
    let r = Reader(record);
    Some(match record[0] {
        0 => Node::Bool(r.bool(1)),
        1 => Node::Int(r.u32(1) as i32),
        2 => Node::Str(r.span(1)),
        3 => Node::Attribute(r.attr(1)?),
        4 => Node::Exists(r.attr(1)?),
        5 => Node::Not(r.u32(1)),
        6 => Node::Negate(r.u32(1)),
        7 => Node::Binary(r.op(1)?, r.u32(2), r.u32(6)),
        8 => Node::Like { value: r.u32(1), parts: r.span(5), negated: r.bool(13) },
        9 => Node::In { value: r.u32(1), set: r.span(5), negated: r.bool(13) },
        10 => Node::Call { name: r.span(1), args: r.span(9) },
        11 => Node::Link(r.u32(1)),
        12 => Node::LikeAny,
        13 => Node::LikeOne,
        14 => Node::LikeText(r.span(1)),
        15 => Node::Compare(*COMPARISONS.get(record[1] as usize)?, r.attr(2)?, r.span(11)),
        16 => Node::All(r.span(1)),
        17 => Node::Any(r.span(1)),
        18 => Node::Fails(r.u32(1)),
        19 => Node::Sql(r.u32(1)),
        20 => Node::AttributeStartsWith { attr: r.attr(1)?, text: r.span(10), negated: r.bool(18) },
        21 => Node::AttributeCompareInt(r.op(1)?, r.attr(2)?, r.u32(11) as i32),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{Packed, decode, encode};
    use crate::routing::cesql::parser;
    use crate::routing::cesql::program::{Code, Comparison, Node, Program};

    #[test]
    fn every_node_of_a_program_reads_back_as_it_was_written() {
        let text = "NOT (source LIKE '/a%' AND amount > 3) OR -x IN (1, 'b') AND EXISTS subject \
                    AND CONCAT(id, 'z') LIKE '_b%c' AND type NOT LIKE 'k%' AND a + 1 = 2";
        let tree = parser::parse(crate::routing::cesql::lexer::tokens(text).expect("lexes")).expect("parses");
        let mut program = Program::default();
        let sql = program.expr(&tree);
        let sql = program.add(Node::Sql(sql));
        let source = program.compare(Comparison::StartsWith, "source", "/x");
        let tier = program.compare(Comparison::EndsWith, "tier", "2");
        let either = program.links(vec![source, tier]);
        let either = program.add(Node::Any(either));
        let not = program.add(Node::Fails(either));
        let both = program.links(vec![sql, not]);
        let root = program.add(Node::All(both));
        let packed = Packed::new(&program, root);
        assert_eq!(packed.root(), root);
        for (id, node) in program.nodes.iter().enumerate() {
            assert_eq!(decode(&encode(*node)), Some(*node), "{node:?}");
            assert_eq!(packed.node(id as u32), *node);
        }
        assert_eq!(packed.text_bytes(), program.text.as_bytes());
        assert_eq!(packed.node(program.nodes.len() as u32), Node::Bool(false));
    }
}
