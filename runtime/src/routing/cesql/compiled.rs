//! Filters compiled together: a subscription's `exact`/`prefix`/`suffix`/`all`/`any`/`not`
//! and `sql` filters become one flat program (see the `program` module), evaluated per
//! matched signal without chasing a pointer per node.

use super::eval::Eval;
use super::packed::Packed;
use super::program::{Attr, Code, Comparison, Node, NodeId, Program};
use super::{Attributes, ContextAttribute, Expression, Value};

/// One compiled filter, to combine with others in the same [`Compiler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Test(NodeId);

/// Builds a [`Compiled`] set of filters.
#[derive(Debug, Default)]
pub struct Compiler {
    program: Program,
}

impl Compiler {
    /// An empty compiler.
    pub fn new() -> Self {
        Self::default()
    }

    /// The attribute `name`'s text compared with `value` (a missing attribute fails).
    pub fn compare(&mut self, how: Comparison, name: &str, value: &str) -> Test {
        Test(self.program.compare(how, name, value))
    }

    /// `expression` is `true` without errors.
    pub fn sql(&mut self, expression: &Expression) -> Test {
        let root = self.program.expr(&expression.tree);
        Test(self.program.add(Node::Sql(root)))
    }

    /// Every one of `tests` passes (an empty list passes).
    pub fn all(&mut self, tests: Vec<Test>) -> Test {
        if let [only] = tests[..] {
            return only;
        }
        let list = self.program.links(tests.into_iter().map(|t| t.0).collect());
        Test(self.program.add(Node::All(list)))
    }

    /// At least one of `tests` passes.
    pub fn any(&mut self, tests: Vec<Test>) -> Test {
        if let [only] = tests[..] {
            return only;
        }
        let list = self.program.links(tests.into_iter().map(|t| t.0).collect());
        Test(self.program.add(Node::Any(list)))
    }

    /// `test` fails.
    pub fn not(&mut self, test: Test) -> Test {
        Test(self.program.add(Node::Fails(test.0)))
    }

    /// The compiled filters, `root` deciding.
    pub fn finish(mut self, root: Test) -> Compiled {
        let program = &mut self.program;
        let last = program.nodes.len().checked_sub(1).map(|n| n as NodeId);
        match program.node(root.0) {
            Node::Compare(how, Attr::Context(attribute), value) if program.nodes.len() == 1 => {
                if let Some(value) = ShortText::new(program.text(value)) {
                    return Compiled(Body::Compare(how, attribute, value));
                }
            }
            // One `sql` filter: evaluated from its expression, without the wrapping node.
            Node::Sql(expression) if last == Some(root.0) => {
                program.nodes.pop();
                return Compiled(Body::Sql(Packed::new(program, expression)));
            }
            _ => {}
        }
        Compiled(Body::Program(Packed::new(program, root.0)))
    }
}

/// Compiled filters.
#[derive(Debug, Clone)]
pub struct Compiled(Body);

#[derive(Debug, Clone)]
enum Body {
    /// The most common filter, one `exact`/`prefix`/`suffix` on a context attribute with a
    /// short value, held inline: testing it reads no memory beyond the subscription's own.
    Compare(Comparison, ContextAttribute, ShortText),
    /// One CESQL expression, rooted at the packed program's root.
    Sql(Packed),
    /// Anything else, rooted at a filter node.
    Program(Packed),
}

impl Compiled {
    /// Reads the first and last byte of a packed program (its first and last cache line);
    /// the value means nothing.
    pub fn warm(&self) -> u8 {
        match &self.0 {
            Body::Compare(..) => 0,
            Body::Sql(packed) | Body::Program(packed) => packed.warm(),
        }
    }

    /// Whether `event` passes.
    pub fn accepts(&self, event: &dyn Attributes) -> bool {
        match &self.0 {
            Body::Compare(how, attribute, wanted) => event
                .context(*attribute)
                .map(Value::into_text)
                .is_some_and(|value| how.holds(value.as_bytes(), wanted.as_bytes())),
            Body::Sql(packed) => Eval::new(packed, event).sql(packed.root()),
            Body::Program(packed) => Eval::new(packed, event).passes(packed.root()),
        }
    }
}

/// Text of at most [`ShortText::CAPACITY`] bytes, stored inline.
#[derive(Debug, Clone, Copy)]
struct ShortText {
    len: u8,
    bytes: [u8; ShortText::CAPACITY],
}

impl ShortText {
    const CAPACITY: usize = 22;

    fn new(text: &str) -> Option<ShortText> {
        let mut bytes = [0; ShortText::CAPACITY];
        bytes.get_mut(..text.len())?.copy_from_slice(text.as_bytes());
        Some(ShortText { len: text.len() as u8, bytes })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}
