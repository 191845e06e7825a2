//! The built-in adapters and transforms: components compiled from `adapters/` and
//! `adapters/transforms/` by the build script and embedded in the library (feature
//! `builtin-adapters`).
//!
//! The generated `for_each_builtin_adapters!` macro (exported at the crate root) calls
//! `$m!(name)` once per built-in; the contract tests use it so that an adapter without a
//! contract test is a compile error.

/// A built-in adapter component.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Adapter name, e.g. `console`.
    pub name: &'static str,
    /// The component bytes.
    pub component: &'static [u8],
    /// The adapter's README (its options).
    pub readme: &'static str,
    /// Its host profile, `adapters/<name>/profile.toml` (read by
    /// [`AdapterProfile::from_toml`](crate::target::AdapterProfile::from_toml)).
    pub profile: &'static str,
}

#[cfg(feature = "builtin-adapters")]
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_adapters.rs"));
}

#[cfg(feature = "builtin-adapters")]
mod embedded_transforms {
    include!(concat!(env!("OUT_DIR"), "/builtin_transforms.rs"));
}

/// Every built-in transform (`template`, `select`), sorted by name; `profile` is empty
/// (empty without the `builtin-adapters` feature).
pub fn transforms() -> Vec<Builtin> {
    #[cfg(feature = "builtin-adapters")]
    {
        embedded_transforms::BUILTIN_TRANSFORMS
            .iter()
            .map(|(name, component, readme, profile)| Builtin { name, component, readme, profile })
            .collect()
    }
    #[cfg(not(feature = "builtin-adapters"))]
    {
        Vec::new()
    }
}

/// Every built-in adapter, sorted by name (empty without the `builtin-adapters` feature).
pub fn all() -> Vec<Builtin> {
    #[cfg(feature = "builtin-adapters")]
    {
        embedded::BUILTIN_ADAPTERS
            .iter()
            .map(|(name, component, readme, profile)| Builtin { name, component, readme, profile })
            .collect()
    }
    #[cfg(not(feature = "builtin-adapters"))]
    {
        Vec::new()
    }
}

/// The built-in adapter called `name`.
pub fn get(name: &str) -> Option<Builtin> {
    all().into_iter().find(|b| b.name == name)
}
