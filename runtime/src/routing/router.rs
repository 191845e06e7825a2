//! The router: a segment trie from patterns to routes.

use std::collections::HashMap;

use super::pattern::{Pattern, Segment, Specificity};

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
    specificity: Specificity,
}

#[derive(Debug, Default)]
struct Node {
    literals: HashMap<Box<str>, Node>,
    star: Option<Box<Node>>,
    double_star: Option<Box<Node>>,
    ends: Vec<u64>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.ends.is_empty() && self.literals.is_empty() && self.star.is_none() && self.double_star.is_none()
    }
}

/// Maps signal types to the routes whose patterns match them.
#[derive(Debug)]
pub struct Router<V> {
    root: Node,
    routes: HashMap<u64, Route<V>>,
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
        let mut all: Vec<&Route<V>> = self.routes.values().collect();
        all.sort_by_key(|r| r.seq);
        all
    }

    /// The route with `id`.
    pub fn get(&self, id: u64) -> Option<&Route<V>> {
        self.routes.get(&id)
    }

    /// Adds a route (replacing one with the same id).
    pub fn insert(&mut self, id: u64, pattern: Pattern, priority: i32, value: V) {
        self.remove(id);
        let mut node = &mut self.root;
        for segment in pattern.segments() {
            node = match segment {
                Segment::Literal(text) => node.literals.entry(text.as_str().into()).or_default(),
                Segment::Star => node.star.get_or_insert_with(Default::default),
                Segment::DoubleStar => node.double_star.get_or_insert_with(Default::default),
            };
        }
        node.ends.push(id);
        let seq = self.next_seq;
        self.next_seq += 1;
        let specificity = pattern.specificity();
        self.routes.insert(id, Route { id, pattern, priority, seq, value, specificity });
    }

    /// Removes a route; prunes the trie branches it leaves empty.
    pub fn remove(&mut self, id: u64) -> Option<Route<V>> {
        let route = self.routes.remove(&id)?;
        remove_from(&mut self.root, route.pattern.segments(), id);
        Some(route)
    }

    /// The routes matching `ty`, most specific first, then by priority (high first), then
    /// by registration order. Each route appears once.
    pub fn matches(&self, ty: &str) -> Vec<&Route<V>> {
        let parts: Vec<&str> = ty.split('.').collect();
        let mut ids = Vec::new();
        let mut visited = Vec::new();
        walk(&self.root, &parts, 0, &mut ids, &mut visited);
        let mut found: Vec<&Route<V>> = ids.iter().filter_map(|id| self.routes.get(id)).collect();
        found.sort_by(|a, b| {
            a.specificity.cmp(&b.specificity).then(b.priority.cmp(&a.priority)).then(a.seq.cmp(&b.seq))
        });
        found
    }
}

/// Collects the ids of routes ending where `parts[at..]` leads from `node`. `visited`
/// memoises (node, position) pairs reached through `**`, which keeps patterns with several
/// `**` from exploring the same state twice (and from reporting a route twice).
fn walk(node: &Node, parts: &[&str], at: usize, ids: &mut Vec<u64>, visited: &mut Vec<(*const Node, usize)>) {
    if at == parts.len() {
        ids.extend_from_slice(&node.ends);
    } else {
        if let Some(child) = node.literals.get(parts[at]) {
            walk(child, parts, at + 1, ids, visited);
        }
        if let Some(child) = &node.star {
            walk(child, parts, at + 1, ids, visited);
        }
    }
    if let Some(child) = &node.double_star {
        for next in at..=parts.len() {
            let key = (&**child as *const Node, next);
            if !visited.contains(&key) {
                visited.push(key);
                walk(child, parts, next, ids, visited);
            }
        }
    }
}

fn remove_from(node: &mut Node, segments: &[Segment], id: u64) {
    let Some((segment, rest)) = segments.split_first() else {
        node.ends.retain(|&end| end != id);
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

fn prune(slot: &mut Option<Box<Node>>, rest: &[Segment], id: u64) {
    if let Some(child) = slot {
        remove_from(child, rest, id);
        if child.is_empty() {
            *slot = None;
        }
    }
}
