//! Routing: subscription patterns and the router that matches signal types against them.
//!
//! Pure logic, no wasmtime types. Patterns follow the semantics decisions: segments split
//! on `.`, `*` matches exactly one segment, `**` zero or more, and the whole type must
//! match. The [`Router`] is a segment trie, so matching walks only the branches a type can
//! take and its cost does not grow with subscriptions that cannot match. A subscription's
//! [`Filter`]s (the Subscriptions API dialects, [`cesql`] among them) then run on the routes
//! the trie returned.

mod arena;
pub mod cesql;
pub mod filter;
mod pattern;
mod router;
mod segments;
mod walk;

pub use filter::{Filter, FilterError, SqlFilter};
pub use pattern::{Pattern, PatternError, Segment, Specificity};
pub use router::{Route, Router};

#[cfg(test)]
mod tests;
