//! The trie's storage: nodes in one arena addressed by `u32`, each with its `*` and `**`
//! child and up to [`INLINE_CHILDREN`] literal children inline; the literal children of
//! larger nodes in the router's edge table, keyed by (node, interned segment id).

use super::router::{End, Router};

/// No child (a node index no node has: the root is 0 and never a child).
pub(super) const NONE: u32 = u32::MAX;

/// Literal children a node keeps inline before they move to the router's edge table.
const INLINE_CHILDREN: usize = 4;

/// One trie node, in the router's node arena. Up to [`INLINE_CHILDREN`] literal children sit
/// in the node itself as (segment id, child) pairs, read in the cache line the walk already
/// loaded; a node with more (the root of a router with many tenants) keeps them all in the
/// router's edge table, keyed by (this node, segment id).
#[derive(Debug)]
pub(super) struct Node<V> {
    pub(super) star: u32,
    pub(super) double_star: u32,
    literals: u32,
    spilled: bool,
    inline: [(u32, u32); INLINE_CHILDREN],
    pub(super) ends: Vec<End<V>>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Node {
            star: NONE,
            double_star: NONE,
            literals: 0,
            spilled: false,
            inline: [(NONE, NONE); INLINE_CHILDREN],
            ends: Vec::new(),
        }
    }
}

impl<V> Node<V> {
    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.literals == 0 && self.star == NONE && self.double_star == NONE
    }
}

/// A literal segment some pattern uses, and how many trie edges carry it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interned {
    pub(super) id: u32,
    pub(super) edges: u32,
}

/// The key of the literal edge from `parent` on segment `segment`.
pub(super) fn edge(parent: u32, segment: u32) -> u64 {
    (u64::from(parent) << 32) | u64::from(segment)
}

impl<V> Router<V> {
    /// The child of `node` through the literal `text`, created (and `text` interned) if new.
    pub(super) fn literal_child(&mut self, node: u32, text: &str) -> u32 {
        let segment = match self.segments.get(text) {
            Some(interned) => interned.id,
            None => {
                let id = self.free_segments.pop().unwrap_or(self.segments.len() as u32);
                self.segments.insert(text.into(), Interned { id, edges: 0 });
                id
            }
        };
        if let Some(child) = self.child(node, segment) {
            return child;
        }
        let child = self.alloc();
        self.add_child(node, segment, child);
        if let Some(interned) = self.segments.get_mut(text) {
            interned.edges += 1;
        }
        child
    }

    /// The child of `node` through the literal segment `segment`.
    pub(super) fn child(&self, node: u32, segment: u32) -> Option<u32> {
        let here = &self.nodes[node as usize];
        if here.spilled {
            return self.edges.get(&edge(node, segment)).copied();
        }
        let inline = &here.inline[..here.literals as usize];
        inline.iter().find(|(id, _)| *id == segment).map(|&(_, child)| child)
    }

    pub(super) fn add_child(&mut self, node: u32, segment: u32, child: u32) {
        let here = &mut self.nodes[node as usize];
        let count = here.literals as usize;
        if !here.spilled && count < INLINE_CHILDREN {
            here.inline[count] = (segment, child);
        } else {
            if !here.spilled {
                here.spilled = true;
                for &(id, inline_child) in &here.inline[..count] {
                    self.edges.insert(edge(node, id), inline_child);
                }
            }
            self.edges.insert(edge(node, segment), child);
        }
        self.nodes[node as usize].literals += 1;
    }

    pub(super) fn remove_child(&mut self, node: u32, segment: u32) {
        let here = &mut self.nodes[node as usize];
        if here.spilled {
            self.edges.remove(&edge(node, segment));
        } else {
            let count = here.literals as usize;
            if let Some(at) = here.inline[..count].iter().position(|(id, _)| *id == segment) {
                here.inline[at] = here.inline[count - 1];
            }
        }
        here.literals -= 1;
        if here.literals == 0 {
            here.spilled = false;
        }
    }

    /// The `*` (or, with `double`, `**`) child slot of `node`.
    pub(super) fn wildcard(&mut self, node: u32, double: bool) -> &mut u32 {
        let node = &mut self.nodes[node as usize];
        if double { &mut node.double_star } else { &mut node.star }
    }

    /// The `*` (or `**`) child of `node`, created if new.
    pub(super) fn wildcard_child(&mut self, node: u32, double: bool) -> u32 {
        match *self.wildcard(node, double) {
            NONE => {
                let child = self.alloc();
                *self.wildcard(node, double) = child;
                child
            }
            child => child,
        }
    }

    pub(super) fn alloc(&mut self) -> u32 {
        match self.free_nodes.pop() {
            Some(index) => index,
            None => {
                self.nodes.push(Node::default());
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Frees `node` (which is empty) for reuse.
    pub(super) fn release(&mut self, node: u32) {
        self.nodes[node as usize] = Node::default();
        self.free_nodes.push(node);
    }
}
