//! The router: a segment trie from patterns to routes, each route with its filters.
//!
//! A route's compiled filters sit beside its sort key where its pattern ends in the trie,
//! so [`Router::routes_for`] tests them while it collects the ends the signal's type
//! reached: the type stays the first stage, and a filter costs no read of the route itself.
//! The trie is kept in flat tables (see [`Router`]); the match itself is in `walk.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use super::filter::FilterSet;
use super::pattern::{Pattern, Segment, Specificity};
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

/// No child (a node index no node has: the root is 0 and never a child).
pub(super) const NONE: u32 = u32::MAX;

/// foldhash is seeded per map (so lookups cannot be steered into collisions by a publisher
/// choosing types) and several times faster than SipHash on short keys.
type Seeded = foldhash::fast::RandomState;

/// One trie node, in the router's node arena. Literal children are not here but in the
/// router's edge table, keyed by (this node, interned segment).
#[derive(Debug)]
pub(super) struct Node<V> {
    pub(super) star: u32,
    pub(super) double_star: u32,
    literals: u32,
    pub(super) ends: Vec<End<V>>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Node { star: NONE, double_star: NONE, literals: 0, ends: Vec::new() }
    }
}

impl<V> Node<V> {
    fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.literals == 0 && self.star == NONE && self.double_star == NONE
    }
}

/// A literal segment some pattern uses, and how many trie edges carry it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interned {
    pub(super) id: u32,
    edges: u32,
}

/// The key of the literal edge from `parent` on segment `segment`.
pub(super) fn edge(parent: u32, segment: u32) -> u64 {
    (u64::from(parent) << 32) | u64::from(segment)
}

/// Maps signal types to the routes whose patterns match them.
///
/// The trie lives in flat tables: nodes in one arena (indices, not pointers), literal
/// segments interned once, and every literal edge in one table keyed by (node, segment id),
/// so a match hashes each segment of the type once and then follows integer keys, reading
/// no key strings on the way.
#[derive(Debug)]
pub struct Router<V> {
    pub(super) nodes: Vec<Node<V>>,
    free_nodes: Vec<u32>,
    pub(super) segments: HashMap<Box<str>, Interned, Seeded>,
    free_segments: Vec<u32>,
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
        self.nodes[node as usize].ends.push(End { key, filters, route: route.clone() });
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

    /// The child of `node` through the literal `text`, created (and `text` interned) if new.
    fn literal_child(&mut self, node: u32, text: &str) -> u32 {
        let segment = match self.segments.get(text) {
            Some(interned) => interned.id,
            None => {
                let id = self.free_segments.pop().unwrap_or(self.segments.len() as u32);
                self.segments.insert(text.into(), Interned { id, edges: 0 });
                id
            }
        };
        if let Some(&child) = self.edges.get(&edge(node, segment)) {
            return child;
        }
        let child = self.alloc();
        self.edges.insert(edge(node, segment), child);
        self.nodes[node as usize].literals += 1;
        if let Some(interned) = self.segments.get_mut(text) {
            interned.edges += 1;
        }
        child
    }

    /// The `*` (or, with `double`, `**`) child slot of `node`.
    fn wildcard(&mut self, node: u32, double: bool) -> &mut u32 {
        let node = &mut self.nodes[node as usize];
        if double { &mut node.double_star } else { &mut node.star }
    }

    /// The `*` (or `**`) child of `node`, created if new.
    fn wildcard_child(&mut self, node: u32, double: bool) -> u32 {
        match *self.wildcard(node, double) {
            NONE => {
                let child = self.alloc();
                *self.wildcard(node, double) = child;
                child
            }
            child => child,
        }
    }

    fn alloc(&mut self) -> u32 {
        match self.free_nodes.pop() {
            Some(index) => index,
            None => {
                self.nodes.push(Node::default());
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Frees `node` (which is empty) for reuse.
    fn release(&mut self, node: u32) {
        self.nodes[node as usize] = Node::default();
        self.free_nodes.push(node);
    }

    fn remove_from(&mut self, node: u32, segments: &[Segment], id: u64) {
        let Some((segment, rest)) = segments.split_first() else {
            self.nodes[node as usize].ends.retain(|end| end.route.id != id);
            return;
        };
        match segment {
            Segment::Literal(text) => {
                let Some(interned) = self.segments.get(text.as_str()).copied() else { return };
                let Some(&child) = self.edges.get(&edge(node, interned.id)) else { return };
                self.remove_from(child, rest, id);
                if self.nodes[child as usize].is_empty() {
                    self.edges.remove(&edge(node, interned.id));
                    self.nodes[node as usize].literals -= 1;
                    self.release(child);
                    if interned.edges == 1 {
                        self.segments.remove(text.as_str());
                        self.free_segments.push(interned.id);
                    } else if let Some(interned) = self.segments.get_mut(text.as_str()) {
                        interned.edges -= 1;
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
