//! The SQLite dead-letter store: durable, one file, the embedded default for the daemon.
//!
//! One table; the signal is stored as CloudEvents JSON, the target as its JSON spec and
//! the error as JSON, so letters survive restarts and stay readable with any SQLite tool.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::codec::{error_from_json, error_to_json};
use super::{DeadLetter, DeadLetterStore, StoreError};
use crate::signal::Signal;
use crate::target::TargetSpec;

/// Dead letters in a SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

fn store_error(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl SqliteStore {
    /// The default store file of the command line: `$JIDO_DISPATCH_DATA_DIR`, else
    /// `$XDG_DATA_HOME/jido-dispatch`, else `$HOME/.local/share/jido-dispatch`, with
    /// `jido-dispatch.sqlite` inside; `None` when none of them is set.
    pub fn default_path() -> Option<std::path::PathBuf> {
        use std::path::PathBuf;
        let dir = std::env::var_os("JIDO_DISPATCH_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("jido-dispatch")))
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/jido-dispatch"))
            })?;
        Some(dir.join("jido-dispatch.sqlite"))
    }

    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let connection =
            Connection::open(path).map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS dead_letters (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     origin TEXT NOT NULL,
                     target TEXT NOT NULL,
                     error TEXT NOT NULL,
                     attempts INTEGER NOT NULL,
                     failed_at TEXT NOT NULL,
                     signal TEXT NOT NULL
                 );",
            )
            .map_err(store_error)?;
        Ok(SqliteStore { connection: Mutex::new(connection) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        f(&connection).map_err(store_error)
    }
}

type Row = (i64, String, String, String, i64, String, String);

fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn decode((id, origin, target, error, attempts, failed_at, signal): Row) -> Result<DeadLetter, StoreError> {
    let target: Value = serde_json::from_str(&target).map_err(store_error)?;
    Ok(DeadLetter {
        id: id as u64,
        origin,
        target: TargetSpec::from_value(target).map_err(store_error)?,
        error: error_from_json(&error)?,
        attempts: attempts as u32,
        failed_at,
        signal: Signal::from_json(&signal).map_err(store_error)?,
    })
}

const COLUMNS: &str = "id, origin, target, error, attempts, failed_at, signal";

impl DeadLetterStore for SqliteStore {
    fn record(&self, letter: DeadLetter) -> Result<u64, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO dead_letters (origin, target, error, attempts, failed_at, signal) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    letter.origin,
                    letter.target.to_value().to_string(),
                    error_to_json(&letter.error),
                    letter.attempts,
                    letter.failed_at,
                    letter.signal.to_json()
                ],
            )?;
            Ok(c.last_insert_rowid() as u64)
        })
    }

    fn list(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = self.with(|c| {
            let mut statement = c.prepare(&format!("SELECT {COLUMNS} FROM dead_letters ORDER BY id"))?;
            statement.query_map([], read)?.collect::<rusqlite::Result<Vec<Row>>>()
        })?;
        rows.into_iter().map(decode).collect()
    }

    fn page(&self, after: u64, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = self.with(|c| {
            let mut statement =
                c.prepare(&format!("SELECT {COLUMNS} FROM dead_letters WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
            let bounds = [i64::try_from(after).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX)];
            statement.query_map(bounds, read)?.collect::<rusqlite::Result<Vec<Row>>>()
        })?;
        rows.into_iter().map(decode).collect()
    }

    fn get(&self, id: u64) -> Result<Option<DeadLetter>, StoreError> {
        let row = self.with(|c| {
            c.query_row(&format!("SELECT {COLUMNS} FROM dead_letters WHERE id = ?1"), [id as i64], read)
                .optional()
        })?;
        row.map(decode).transpose()
    }

    fn remove(&self, id: u64) -> Result<bool, StoreError> {
        self.with(|c| c.execute("DELETE FROM dead_letters WHERE id = ?1", [id as i64]).map(|n| n > 0))
    }

    fn purge(&self) -> Result<usize, StoreError> {
        self.with(|c| c.execute("DELETE FROM dead_letters", []))
    }

    fn count(&self) -> Result<usize, StoreError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM dead_letters", [], |row| row.get::<_, i64>(0)))
            .map(|n| n as usize)
    }

    fn last_id(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            c.query_row("SELECT coalesce(max(id), 0) FROM dead_letters", [], |row| row.get::<_, i64>(0))
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
    }
}
