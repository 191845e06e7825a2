//! The trie's storage: nodes in one arena addressed by `u32`, each with its `*` and `**`
//! child and up to [`INLINE_CHILDREN`] literal children inline; the literal children of
//! larger nodes in the router's edge table, keyed by (node, interned segment id). A segment
//! on few edges also lists them itself (see `segments.rs`).

use super::router::{End, Router};
use super::segments::{Interned, SegmentKey};

/// No child (a node index no node has: the root is 0 and never a child).
pub(super) const NONE: u32 = u32::MAX;

/// Literal children a node keeps inline before they move to the router's edge table.
const INLINE_CHILDREN: usize = 4;

/// One trie node, in the router's node arena. Up to [`INLINE_CHILDREN`] literal children sit
/// in the node itself as (segment id, child) pairs, read in the cache line the walk already
/// loaded; a node with more (the root of a router with many tenants) keeps them all in the
/// router's edge table, keyed by (this node, segment id).
///
/// A node is one cache line (64 bytes, aligned): a walk that reaches it reads one line, not
/// two. That is why the ends are a boxed slice (replaced on the rare add or remove) rather
/// than a growable vector.
#[derive(Debug)]
#[repr(align(64))]
pub(super) struct Node<V> {
    pub(super) star: u32,
    pub(super) double_star: u32,
    literals: u32,
    spilled: bool,
    inline: [(u32, u32); INLINE_CHILDREN],
    pub(super) ends: Box<[End<V>]>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Node {
            star: NONE,
            double_star: NONE,
            literals: 0,
            spilled: false,
            inline: [(NONE, NONE); INLINE_CHILDREN],
            ends: Box::default(),
        }
    }
}

impl<V> Node<V> {
    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.literals == 0 && self.star == NONE && self.double_star == NONE
    }

    /// Adds `end` to the routes ending here.
    pub(super) fn add_end(&mut self, end: End<V>) {
        let mut ends = std::mem::take(&mut self.ends).into_vec();
        ends.push(end);
        self.ends = ends.into_boxed_slice();
    }

    /// Removes the route `id` from the routes ending here.
    pub(super) fn remove_end(&mut self, id: u64) {
        let mut ends = std::mem::take(&mut self.ends).into_vec();
        ends.retain(|end| end.route.id != id);
        self.ends = ends.into_boxed_slice();
    }
}

/// The key of the literal edge from `parent` on segment `segment`.
pub(super) fn edge(parent: u32, segment: u32) -> u64 {
    (u64::from(parent) << 32) | u64::from(segment)
}

impl<V> Router<V> {
    /// The child of `node` through the literal `text`, created (and `text` interned) if new.
    pub(super) fn literal_child(&mut self, node: u32, text: &str) -> u32 {
        let segment = match self.segments.get(text.as_bytes()) {
            Some(interned) => interned.id,
            None => {
                let id = self.free_segments.pop().unwrap_or(self.segments.len() as u32);
                self.segments.insert(SegmentKey::new(text), Interned::new(id));
                id
            }
        };
        if let Some(child) = self.child(node, segment) {
            return child;
        }
        let child = self.alloc();
        self.add_child(node, segment, child);
        if let Some(interned) = self.segments.get_mut(text.as_bytes()) {
            interned.add_edge(node, child);
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

#[cfg(test)]
mod tests {
    use super::Node;

    #[test]
    fn a_node_is_one_cache_line() {
        assert_eq!(size_of::<Node<()>>(), 64);
        assert_eq!(align_of::<Node<()>>(), 64);
    }
}
