//! The router: a segment trie from patterns to routes, each route with its filters.
//!
//! A route's compiled filters sit beside its sort key where its pattern ends in the trie,
//! so [`Router::routes_for`] tests them while it collects the ends the signal's type
//! reached: the type stays the first stage, and a filter costs no read of the route itself.

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
struct SortKey {
    specificity: Specificity,
    priority: std::cmp::Reverse<i32>,
    seq: u64,
}

/// A route ending at a node, with its sort key and filters inline so that filtering and
/// sorting matches read only the node's own vector.
#[derive(Debug)]
struct End<V> {
    key: SortKey,
    filters: FilterSet,
    route: Arc<Route<V>>,
}

/// Literal children. foldhash is seeded per map (so lookups cannot be steered into
/// collisions by a publisher choosing types) and several times faster than SipHash on
/// the short keys segments are.
type Children<V> = HashMap<Box<str>, Node<V>, foldhash::fast::RandomState>;

#[derive(Debug)]
struct Node<V> {
    literals: Children<V>,
    star: Option<Box<Node<V>>>,
    double_star: Option<Box<Node<V>>>,
    ends: Vec<End<V>>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Node { literals: Children::default(), star: None, double_star: None, ends: Vec::new() }
    }
}

impl<V> Node<V> {
    fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.literals.is_empty() && self.star.is_none() && self.double_star.is_none()
    }
}

/// Maps signal types to the routes whose patterns match them.
#[derive(Debug)]
pub struct Router<V> {
    root: Node<V>,
    routes: HashMap<u64, Arc<Route<V>>>,
    next_seq: u64,
}

impl<V> Default for Router<V> {
    fn default() -> Self {
        Router { root: Node::default(), routes: HashMap::new(), next_seq: 0 }
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
        let mut node = &mut self.root;
        for segment in pattern.segments() {
            node = match segment {
                Segment::Literal(text) => node.literals.entry(text.as_str().into()).or_default(),
                Segment::Star => node.star.get_or_insert_with(Default::default),
                Segment::DoubleStar => node.double_star.get_or_insert_with(Default::default),
            };
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = SortKey { specificity: pattern.specificity(), priority: std::cmp::Reverse(priority), seq };
        let route = Arc::new(Route { id, pattern, priority, seq, value });
        node.ends.push(End { key, filters, route: route.clone() });
        self.routes.insert(id, route);
    }

    /// Removes a route; prunes the trie branches it leaves empty.
    pub fn remove(&mut self, id: u64) -> Option<Arc<Route<V>>> {
        let route = self.routes.remove(&id)?;
        remove_from(&mut self.root, route.pattern.segments(), id);
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

    /// The routes `ty` reaches; with a signal, those whose filters accept it.
    ///
    /// The walk allocates only the result: the type's segments and the states visited
    /// through `**` live on the stack (up to [`INLINE`] of each), and the matched ends are
    /// collected, sorted and turned into routes in one vector.
    fn collect(&self, ty: &str, signal: Option<&Signal>) -> Vec<&Route<V>> {
        let mut inline = [""; INLINE];
        let spilled: Vec<&str>;
        let mut count = 0;
        for part in ty.split('.') {
            if count == INLINE {
                count += 1;
                break;
            }
            inline[count] = part;
            count += 1;
        }
        let parts: &[&str] = if count > INLINE {
            spilled = ty.split('.').collect();
            &spilled
        } else {
            &inline[..count]
        };
        let mut walk = Walk { parts, found: Vec::with_capacity(8), visited: Visited::default() };
        walk.from(&self.root, 0);
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

/// Type segments, and `**` states, kept on the stack before spilling to the heap.
const INLINE: usize = 16;

/// The (node, position) pairs a walk reached through `**`.
struct Visited<V> {
    inline: [(*const Node<V>, usize); INLINE],
    len: usize,
    spilled: Vec<(*const Node<V>, usize)>,
}

impl<V> Default for Visited<V> {
    fn default() -> Self {
        Visited { inline: [(std::ptr::null(), 0); INLINE], len: 0, spilled: Vec::new() }
    }
}

impl<V> Visited<V> {
    /// Records `key`; false if it was already there.
    fn insert(&mut self, key: (*const Node<V>, usize)) -> bool {
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

/// One walk of the trie for a type split into `parts`.
struct Walk<'n, 'p, V> {
    parts: &'p [&'p str],
    found: Vec<&'n End<V>>,
    /// (node, position) pairs reached through `**`: keeps patterns with several `**` from
    /// exploring the same state twice (and from reporting a route twice).
    visited: Visited<V>,
}

impl<'n, V> Walk<'n, '_, V> {
    /// Collects the routes ending where `parts[at..]` leads from `node`.
    fn from(&mut self, node: &'n Node<V>, at: usize) {
        if let Some(part) = self.parts.get(at) {
            if let Some(child) = node.literals.get(*part) {
                self.from(child, at + 1);
            }
            if let Some(child) = &node.star {
                self.from(child, at + 1);
            }
        } else {
            self.found.extend(node.ends.iter());
        }
        if let Some(child) = &node.double_star {
            for next in at..=self.parts.len() {
                if self.visited.insert((&**child as *const Node<V>, next)) {
                    self.from(child, next);
                }
            }
        }
    }
}

fn remove_from<V>(node: &mut Node<V>, segments: &[Segment], id: u64) {
    let Some((segment, rest)) = segments.split_first() else {
        node.ends.retain(|end| end.route.id != id);
        return;
    };
    match segment {
        Segment::Literal(text) => {
            if let Some(child) = node.literals.get_mut(text.as_str()) {
                remove_from(child, rest, id);
                if child.is_empty() {
                    node.literals.remove(text.as_str());
                }
            }
        }
        Segment::Star => prune(&mut node.star, rest, id),
        Segment::DoubleStar => prune(&mut node.double_star, rest, id),
    }
}

fn prune<V>(slot: &mut Option<Box<Node<V>>>, rest: &[Segment], id: u64) {
    if let Some(child) = slot {
        remove_from(child, rest, id);
        if child.is_empty() {
            *slot = None;
        }
    }
}
