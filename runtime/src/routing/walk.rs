//! One match: the type's segments resolved to their interned entries (id, and the edges of a
//! rare segment), then a walk of the trie that collects the ends it reaches, filters them
//! (for a signal) and sorts them.
//!
//! The walk allocates only the result: the segment ids and the states visited through `**`
//! live on the stack (up to [`INLINE`] of each), and the matched ends are collected, sorted
//! and turned into routes in one vector.

use super::arena::{NONE, Node};
use super::router::{End, Route, Router};
use super::segments::Interned;
use crate::signal::Signal;

/// Type segments, and `**` states, kept on the stack before spilling to the heap.
const INLINE: usize = 16;

impl<V> Router<V> {
    /// The routes `ty` reaches; with a signal, those whose filters accept it.
    pub(super) fn collect(&self, ty: &str, signal: Option<&Signal>) -> Vec<&Route<V>> {
        // A segment no pattern names literally is matched only by `*` and `**`.
        let id = |part: &str| self.segments.get(part.as_bytes()).unwrap_or(&Interned::UNKNOWN);
        let mut inline = [&Interned::UNKNOWN; INLINE];
        let spilled: Vec<&Interned>;
        let mut count = 0;
        for part in ty.split('.') {
            if count == INLINE {
                count += 1;
                break;
            }
            inline[count] = id(part);
            count += 1;
        }
        let parts: &[&Interned] = if count > INLINE {
            spilled = ty.split('.').map(id).collect();
            &spilled
        } else {
            &inline[..count]
        };
        let mut walk =
            Walk { router: self, parts, found: Vec::with_capacity(8), visited: Visited::default() };
        walk.from(0, 0);
        let mut found = walk.found;
        if let Some(signal) = signal {
            // Read each compiled filter's memory before testing any: the reads do not depend
            // on each other, so their cache misses overlap instead of following one another.
            std::hint::black_box(found.iter().fold(0, |warm, end| warm ^ end.filters.warm()));
            found.retain(|end| end.filters.accepts(signal));
        }
        found.sort_unstable_by_key(|end| end.key);
        // `&End` and `&Route` have one layout: this reuses `found`'s allocation.
        found.into_iter().map(|end| &*end.route).collect()
    }
}

/// The (node, position) pairs a walk reached through `**`.
#[derive(Default)]
struct Visited {
    inline: [(u32, usize); INLINE],
    len: usize,
    spilled: Vec<(u32, usize)>,
}

impl Visited {
    /// Records `key`; false if it was already there.
    fn insert(&mut self, key: (u32, usize)) -> bool {
        if self.inline[..self.len].contains(&key) || self.spilled.contains(&key) {
            return false;
        }
        if self.len < INLINE {
            self.inline[self.len] = key;
            self.len += 1;
        } else {
            self.spilled.push(key);
        }
        true
    }
}

/// One walk of the trie for a type whose segments resolved to `parts`.
struct Walk<'r, 'p, V> {
    router: &'r Router<V>,
    parts: &'p [&'r Interned],
    found: Vec<&'r End<V>>,
    /// (node, position) pairs reached through `**`: keeps patterns with several `**` from
    /// exploring the same state twice (and from reporting a route twice).
    visited: Visited,
}

impl<'r, V> Walk<'r, '_, V> {
    /// Collects the routes ending where `parts[at..]` leads from `node`.
    fn from(&mut self, node: u32, at: usize) {
        let here: &'r Node<V> = &self.router.nodes[node as usize];
        if let Some(part) = self.parts.get(at) {
            let child = part.child_of(node).unwrap_or_else(|| self.router.child(node, part.id));
            if let Some(child) = child {
                self.from(child, at + 1);
            }
            if here.star != NONE {
                self.from(here.star, at + 1);
            }
        } else {
            self.found.extend(here.ends());
        }
        if here.double_star != NONE {
            for next in at..=self.parts.len() {
                if self.visited.insert((here.double_star, next)) {
                    self.from(here.double_star, next);
                }
            }
        }
    }
}
