//! Compiled components cached on disk, so a second start does not run Cranelift again,
//! and in memory, so the same component loaded as many adapters (one per tenant, say)
//! shares one copy of its compiled code.
//!
//! Entries are keyed by the SHA-256 of the component bytes and a hash of the engine's
//! compilation settings; a stale or corrupt entry is recompiled and replaced.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Whether a component came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheOutcome {
    /// Loaded precompiled code from the cache.
    Hit,
    /// Compiled (and stored, when a cache directory is set).
    Compiled,
    /// Already loaded in this process: the compiled code is shared.
    Shared,
}

/// The on-disk cache (or none), and the components loaded in this process.
#[derive(Debug, Clone, Default)]
pub struct CompileCache {
    dir: Option<PathBuf>,
    loaded: Arc<Mutex<HashMap<String, Component>>>,
}

impl CompileCache {
    /// A cache in `dir` (created on first store), or no on-disk cache.
    pub fn new(dir: Option<PathBuf>) -> Self {
        CompileCache { dir, loaded: Arc::default() }
    }

    /// The default directory: `$JIDO_DISPATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/jido-dispatch`,
    /// else `$HOME/.cache/jido-dispatch`; `None` when none of them is set.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("JIDO_DISPATCH_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(Path::new(&dir).join("jido-dispatch"));
        }
        std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache").join("jido-dispatch"))
    }

    /// The cache directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Loads `bytes` as a component: shared when this process already loaded it, else
    /// from the disk cache when possible, else compiled.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<(Component, CacheOutcome)> {
        let key = key(engine, bytes);
        if let Some(component) = self.loaded.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok((component.clone(), CacheOutcome::Shared));
        }
        let (component, outcome) = self.load_uncached(engine, bytes, &key)?;
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner).insert(key, component.clone());
        Ok((component, outcome))
    }

    fn load_uncached(
        &self,
        engine: &Engine,
        bytes: &[u8],
        key: &str,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(dir) = &self.dir else {
            return Ok((Component::from_binary(engine, bytes)?, CacheOutcome::Compiled));
        };
        let path = dir.join(format!("{key}.cwasm"));
        if path.is_file() {
            // SAFETY: the file was written by `Component::serialize` of this same
            // process kind into our own cache directory, and its name binds it to these
            // exact component bytes and engine settings. wasmtime still checks the header
            // and refuses artifacts of another version or configuration.
            let cached = unsafe { Component::deserialize_file(engine, &path) };
            match cached {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable compile cache entry: {e}")
                }
            }
        }
        let component = Component::from_binary(engine, bytes)?;
        if let Err(e) = store(dir, &path, &component) {
            tracing::warn!(dir = %dir.display(), "cannot write the compile cache: {e}");
        }
        Ok((component, CacheOutcome::Compiled))
    }
}

fn key(engine: &Engine, bytes: &[u8]) -> String {
    let mut settings = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    let digest = Sha256::digest(bytes);
    format!("{}-{:016x}", hex::encode(&digest[..16]), settings.finish())
}

fn store(dir: &Path, path: &Path, component: &Component) -> std::io::Result<()> {
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
