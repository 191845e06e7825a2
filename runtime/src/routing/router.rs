//! The router: a segment trie from patterns to routes, each route with its filters.
//!
//! A route's compiled filters sit beside its sort key where its pattern ends in the trie,
//! so [`Router::routes_for`] tests them while it collects the ends the signal's type
//! reached: the type stays the first stage, and a filter costs no read of the route itself.
//! The trie is kept in flat tables (see [`Router`]); the match itself is in `walk.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use super::arena::{NONE, Node};
use super::filter::FilterSet;
use super::pattern::{Pattern, Segment, Specificity};
use super::segments::{Interned, SegmentKey};
use crate::signal::Signal;

/// A subscription as the router sees it.
#[derive(Debug, Clone)]
pub struct Route<V> {
    /// Caller-chosen id, unique in this router.
    pub id: u64,
    /// The pattern.
    pub pattern: Pattern,
    /// Higher runs first among equally specific routes (−100..=100).
    pub priority: i32,
    /// Registration order, assigned by the router.
    pub seq: u64,
    /// The caller's payload.
    pub value: V,
}

/// Where a match sorts: most specific, then highest priority, then first registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SortKey {
    specificity: Specificity,
    priority: std::cmp::Reverse<i32>,
    seq: u64,
}

/// A route ending at a node, with its sort key and filters inline so that filtering and
/// sorting matches read only the node's own vector.
#[derive(Debug)]
pub(super) struct End<V> {
    pub(super) key: SortKey,
    pub(super) filters: FilterSet,
    pub(super) route: Arc<Route<V>>,
}

/// foldhash is seeded per map (so lookups cannot be steered into collisions by a publisher
/// choosing types) and several times faster than SipHash on short keys.
type Seeded = foldhash::fast::RandomState;

/// Maps signal types to the routes whose patterns match them.
///
/// The trie lives in flat tables: nodes in one arena (indices, not pointers), literal
/// segments interned once (short ones inline in their keys), small nodes' literal children
/// inline and large nodes' in one table keyed by (node, segment id), and a segment on at
/// most two edges listing them itself, so a match hashes each segment of the type once and
/// then follows integer keys, mostly without reading the large nodes' table.
#[derive(Debug)]
pub struct Router<V> {
    pub(super) nodes: Vec<Node<V>>,
    pub(super) free_nodes: Vec<u32>,
    pub(super) segments: HashMap<SegmentKey, Interned, Seeded>,
    pub(super) free_segments: Vec<u32>,
    pub(super) edges: HashMap<u64, u32, Seeded>,
    routes: HashMap<u64, Arc<Route<V>>>,
    next_seq: u64,
}

impl<V> Default for Router<V> {
    fn default() -> Self {
        Router {
            nodes: vec![Node::default()],
            free_nodes: Vec::new(),
            segments: HashMap::default(),
            free_segments: Vec::new(),
            edges: HashMap::default(),
            routes: HashMap::new(),
            next_seq: 0,
        }
    }
}

impl<V> Router<V> {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Every route, in registration order.
    pub fn routes(&self) -> Vec<&Route<V>> {
        let mut all: Vec<&Route<V>> = self.routes.values().map(|r| &**r).collect();
        all.sort_by_key(|r| r.seq);
        all
    }

    /// The route with `id`.
    pub fn get(&self, id: u64) -> Option<&Route<V>> {
        self.routes.get(&id).map(|r| &**r)
    }

    /// Adds a route without filters (replacing one with the same id).
    pub fn insert(&mut self, id: u64, pattern: Pattern, priority: i32, value: V) {
        self.insert_filtered(id, pattern, priority, FilterSet::default(), value);
    }

    /// Adds a route whose signals must also pass `filters` (replacing one with the same id).
    pub fn insert_filtered(
        &mut self,
        id: u64,
        pattern: Pattern,
        priority: i32,
        filters: FilterSet,
        value: V,
    ) {
        self.remove(id);
        let mut node = 0;
        for segment in pattern.segments() {
            node = match segment {
                Segment::Literal(text) => self.literal_child(node, text),
                Segment::Star => self.wildcard_child(node, false),
                Segment::DoubleStar => self.wildcard_child(node, true),
            };
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = SortKey { specificity: pattern.specificity(), priority: std::cmp::Reverse(priority), seq };
        let route = Arc::new(Route { id, pattern, priority, seq, value });
        self.nodes[node as usize].add_end(End { key, filters, route: route.clone() });
        self.routes.insert(id, route);
    }

    /// Removes a route; prunes the trie branches it leaves empty.
    pub fn remove(&mut self, id: u64) -> Option<Arc<Route<V>>> {
        let route = self.routes.remove(&id)?;
        self.remove_from(0, route.pattern.segments(), id);
        Some(route)
    }

    /// The routes whose pattern matches `ty`, filters not applied: most specific first, then
    /// by priority (high first), then by registration order. Each route appears once.
    pub fn matches(&self, ty: &str) -> Vec<&Route<V>> {
        self.collect(ty, None)
    }

    /// The routes whose pattern matches the signal's type and whose filters accept it, in
    /// the order of [`Router::matches`]. A route's filters run only when its pattern matched.
    pub fn routes_for(&self, signal: &Signal) -> Vec<&Route<V>> {
        self.collect(&signal.ty, Some(signal))
    }

    /// Trie nodes in use, the root included (1 when empty: removal prunes what it empties).
    pub fn node_count(&self) -> usize {
        self.nodes.len() - self.free_nodes.len()
    }

    fn remove_from(&mut self, node: u32, segments: &[Segment], id: u64) {
        let Some((segment, rest)) = segments.split_first() else {
            self.nodes[node as usize].remove_end(id);
            return;
        };
        match segment {
            Segment::Literal(text) => {
                let Some(interned) = self.segments.get(text.as_bytes()).copied() else { return };
                let Some(child) = self.child(node, interned.id) else { return };
                self.remove_from(child, rest, id);
                if self.nodes[child as usize].is_empty() {
                    self.remove_child(node, interned.id);
                    self.release(child);
                    if interned.edges == 1 {
                        self.segments.remove(text.as_bytes());
                        self.free_segments.push(interned.id);
                    } else if let Some(interned) = self.segments.get_mut(text.as_bytes()) {
                        interned.remove_edge(node);
                    }
                }
            }
            Segment::Star | Segment::DoubleStar => {
                let double = *segment == Segment::DoubleStar;
                let child = *self.wildcard(node, double);
                if child != NONE {
                    self.remove_from(child, rest, id);
                    if self.nodes[child as usize].is_empty() {
                        *self.wildcard(node, double) = NONE;
                        self.release(child);
                    }
                }
            }
        }
    }
}
