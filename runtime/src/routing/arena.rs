//! The trie's storage: nodes in one arena addressed by `u32`, each with its `*` and `**`
//! child, up to [`INLINE_CHILDREN`] literal children and its first route end inline; the literal children of
//! larger nodes in the router's edge table, keyed by (node, interned segment id). A segment
//! on few edges also lists them itself (see `segments.rs`).

use super::router::{End, Router};
use super::segments::{Interned, SegmentKey};

/// No child (a node index no node has: the root is 0 and never a child).
pub(super) const NONE: u32 = u32::MAX;

/// Literal children a node keeps inline before they move to the router's edge table.
const INLINE_CHILDREN: usize = 4;

/// One trie node, in the router's node arena: two cache lines, aligned.
///
/// The first line is the walk's: the `*` and `**` children and up to [`INLINE_CHILDREN`]
/// literal children as (segment id, child) pairs; a node with more literal children (the
/// root of a router with many tenants) keeps them all in the router's edge table, keyed by
/// (this node, segment id). The second line holds the first route ending here, which is
/// most often the only one: a walk that ends at the node reads it at an address it already
/// knows, so its load overlaps the node's own instead of following a pointer read from it
/// (as a separate allocation of ends did: one more miss, after the node's, per match at
/// large sizes). Further routes ending here, the rare case, are in `more`.
#[derive(Debug)]
#[repr(C, align(128))]
pub(super) struct Node<V> {
    pub(super) star: u32,
    pub(super) double_star: u32,
    literals: u32,
    spilled: bool,
    inline: [(u32, u32); INLINE_CHILDREN],
    /// Routes ending here after `first` (a boxed slice: the first line stays 64 bytes).
    more: Box<[End<V>]>,
    /// The first route ending here, in the node's second cache line.
    first: Option<End<V>>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Node {
            star: NONE,
            double_star: NONE,
            literals: 0,
            spilled: false,
            inline: [(NONE, NONE); INLINE_CHILDREN],
            more: Box::default(),
            first: None,
        }
    }
}

impl<V> Node<V> {
    pub(super) fn is_empty(&self) -> bool {
        self.first.is_none() && self.literals == 0 && self.star == NONE && self.double_star == NONE
    }

    /// The routes ending here, in no particular order.
    pub(super) fn ends(&self) -> impl Iterator<Item = &End<V>> {
        self.first.iter().chain(self.more.iter())
    }

    /// Adds `end` to the routes ending here.
    pub(super) fn add_end(&mut self, end: End<V>) {
        if self.first.is_none() {
            self.first = Some(end);
            return;
        }
        let mut more = std::mem::take(&mut self.more).into_vec();
        more.push(end);
        self.more = more.into_boxed_slice();
    }

    /// Removes the route `id` from the routes ending here; `first` stays filled while any
    /// route ends here.
    pub(super) fn remove_end(&mut self, id: u64) {
        let mut more = std::mem::take(&mut self.more).into_vec();
        if self.first.as_ref().is_some_and(|end| end.route.id == id) {
            self.first = more.pop();
        } else {
            more.retain(|end| end.route.id != id);
        }
        self.more = more.into_boxed_slice();
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
    fn a_node_is_two_aligned_cache_lines_with_its_first_end_in_the_second() {
        assert_eq!(size_of::<Node<()>>(), 128);
        assert_eq!(align_of::<Node<()>>(), 128);
        assert_eq!(std::mem::offset_of!(Node<()>, first), 64);
    }
}
