//! Routing: subscription patterns and the router that matches signal types against them.
//!
//! Pure logic, no wasmtime types. Patterns follow the semantics decisions: segments split
//! on `.`, `*` matches exactly one segment, `**` zero or more, and the whole type must
//! match. The [`Router`] is a segment trie, so matching walks only the branches a type can
//! take and its cost does not grow with subscriptions that cannot match.

mod pattern;
mod router;

pub use pattern::{Pattern, PatternError, Segment, Specificity};
pub use router::{Route, Router};

#[cfg(test)]
mod tests;
