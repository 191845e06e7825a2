//! [`Registry`]: an embedder's name service behind `named` targets written
//! `{ via = ["registry", "key"] }`.

/// Resolves keys to mailbox ids, like an Elixir `Registry` behind a `{:via, …}` name.
///
/// Register one with [`Runtime::register_registry`](crate::Runtime::register_registry);
/// a `named` target `{ via = ["NAME", "KEY"] }` then asks the registry called `NAME`
/// where `KEY` lives and delivers to that mailbox.
pub trait Registry: Send + Sync + 'static {
    /// The mailbox id (as returned by [`Mailbox::id`](super::Mailbox::id)) for `key`, if any.
    fn whereis(&self, key: &str) -> Option<String>;
}

impl<F> Registry for F
where
    F: Fn(&str) -> Option<String> + Send + Sync + 'static,
{
    fn whereis(&self, key: &str) -> Option<String> {
        self(key)
    }
}
