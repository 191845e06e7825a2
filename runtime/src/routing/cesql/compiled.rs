//! Filters compiled together: a subscription's `exact`/`prefix`/`suffix`/`all`/`any`/`not`
//! and `sql` filters become one flat program (see the `program` module), evaluated per
//! matched signal without chasing a pointer per node.

use super::Attributes;
use super::Expression;
use super::eval::Eval;
use super::program::{Comparison, Node, NodeId, Program};

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
        self.program.nodes.shrink_to_fit();
        self.program.text.shrink_to_fit();
        Compiled { program: self.program, root: root.0 }
    }
}

/// Compiled filters.
#[derive(Debug, Clone)]
pub struct Compiled {
    program: Program,
    root: NodeId,
}

impl Compiled {
    /// Whether `event` passes.
    pub fn accepts(&self, event: &dyn Attributes) -> bool {
        Eval::new(&self.program, event).passes(self.root)
    }
}
