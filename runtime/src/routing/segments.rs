//! Interned literal segments: the key a segment is stored under (short ones inline, so a
//! lookup reads no second allocation) and what the router keeps per segment, including the
//! few edges a rare segment is on, so that a walk finds those children without the
//! parent's edge table.
//!
//! A segment such as a tenant id in `tN.user.*` sits on one or two edges however many
//! tenants there are, while the table it would be looked up in (the root's children) grows
//! with them; a segment such as `user` sits on an edge under every tenant, but each of those
//! parents is small and keeps it inline. Listing the edges of the first kind with the
//! segment turns the lookup that misses the cache most at large sizes into a read of memory
//! the segment's own lookup has just loaded.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use super::arena::NONE;

/// Bytes a segment may have to be stored inline in its key.
const INLINE_BYTES: usize = 22;

/// Edges a segment lists itself (see [`Interned::child_of`]).
const LISTED_EDGES: usize = 2;

/// The key of an interned segment: its text, inline when short.
#[derive(Debug, Clone)]
pub(super) enum SegmentKey {
    /// Up to [`INLINE_BYTES`] bytes, stored in the key itself.
    Inline { len: u8, bytes: [u8; INLINE_BYTES] },
    /// A longer segment.
    Heap(Box<str>),
}

impl SegmentKey {
    /// The key for `text`.
    pub(super) fn new(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE_BYTES => {
                let mut bytes = [0; INLINE_BYTES];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                SegmentKey::Inline { len, bytes }
            }
            _ => SegmentKey::Heap(text.into()),
        }
    }

    /// The text's bytes (the map is looked up by bytes, so no lookup validates UTF-8).
    fn as_bytes(&self) -> &[u8] {
        match self {
            SegmentKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            SegmentKey::Heap(text) => text.as_bytes(),
        }
    }
}

impl Borrow<[u8]> for SegmentKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// `Hash` and `Eq` follow the bytes, as `Borrow<[u8]>` requires.
impl Hash for SegmentKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for SegmentKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SegmentKey {}

/// A literal segment some pattern uses: its id, how many trie edges carry it, and, while
/// there are at most [`LISTED_EDGES`] of them, the edges themselves.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interned {
    pub(super) id: u32,
    pub(super) edges: u32,
    /// Whether `listed` holds every edge carrying this segment. It stops being so when the
    /// segment is on more than [`LISTED_EDGES`] edges at once, and stays so until the
    /// segment is released (a count falling back does not tell which edges are left).
    complete: bool,
    /// (parent, child) pairs; unused slots are (`NONE`, `NONE`).
    listed: [(u32, u32); LISTED_EDGES],
}

impl Interned {
    /// A segment no pattern names: no child anywhere.
    pub(super) const UNKNOWN: Interned =
        Interned { id: NONE, edges: 0, complete: true, listed: [(NONE, NONE); LISTED_EDGES] };

    /// A newly interned segment with id `id`, on no edge yet.
    pub(super) fn new(id: u32) -> Self {
        Interned { id, ..Interned::UNKNOWN }
    }

    /// The child of `parent` through this segment, when the segment's own list knows it:
    /// `Some(None)` is a known absence; `None` means the parent must be asked.
    pub(super) fn child_of(&self, parent: u32) -> Option<Option<u32>> {
        if !self.complete {
            return None;
        }
        Some(self.listed.iter().find(|(p, _)| *p == parent).map(|&(_, child)| child))
    }

    /// Records a new edge from `parent` to `child` through this segment.
    pub(super) fn add_edge(&mut self, parent: u32, child: u32) {
        let at = self.edges as usize;
        self.edges += 1;
        match self.listed.get_mut(at) {
            Some(slot) if self.complete => *slot = (parent, child),
            _ => self.complete = false,
        }
    }

    /// Forgets the edge from `parent` through this segment.
    pub(super) fn remove_edge(&mut self, parent: u32) {
        self.edges -= 1;
        if let Some(at) = self.listed.iter().position(|(p, _)| *p == parent) {
            let last = self.listed.iter().rposition(|(p, _)| *p != NONE).unwrap_or(at);
            self.listed[at] = self.listed[last];
            self.listed[last] = (NONE, NONE);
        }
    }
}
