//! Subscriptions the admin API added, and paused lanes (by an operator, or by themselves
//! under `auto_pause_after`): kept in the store so they survive restarts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::log::LogError;
use crate::bus::PauseReason;
use crate::routing::Filter;

/// A subscription as the admin API takes it (and as it is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// The bus (default `"default"`).
    #[serde(default = "default_bus")]
    pub bus: String,
    /// The pattern.
    pub path: String,
    /// −100..100.
    #[serde(default)]
    pub priority: i32,
    /// Filters after the pattern (ANDed), e.g. `[{ "sql": "amount > 100" }]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// One target object or an array of them.
    pub dispatch: serde_json::Value,
}

fn default_bus() -> String {
    "default".to_owned()
}

/// The stored admin subscriptions.
#[derive(Debug)]
pub struct SubscriptionStore {
    connection: Mutex<Connection>,
}

fn store_error(e: impl std::fmt::Display) -> LogError {
    LogError(e.to_string())
}

impl SubscriptionStore {
    /// Opens the table in `path`'s SQLite file.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let connection = Connection::open(path).map_err(store_error)?;
        connection
            .execute_batch(
                "PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS api_subscriptions (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     request TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS paused_lanes (key TEXT PRIMARY KEY);",
            )
            .map_err(store_error)?;
        // Stores made before lanes could pause themselves have no `reason` (operator).
        if connection.prepare("SELECT reason FROM paused_lanes LIMIT 0").is_err() {
            connection
                .execute_batch("ALTER TABLE paused_lanes ADD COLUMN reason TEXT")
                .map_err(store_error)?;
        }
        Ok(SubscriptionStore { connection: Mutex::new(connection) })
    }

    /// Every stored subscription with its row id, oldest first.
    pub fn all(&self) -> Result<Vec<(i64, SubscriptionRequest)>, LogError> {
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let mut statement = connection
            .prepare("SELECT id, request FROM api_subscriptions ORDER BY id")
            .map_err(store_error)?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))
            .map_err(store_error)?;
        let mut all = Vec::new();
        for row in rows {
            let (id, text) = row.map_err(store_error)?;
            let request =
                serde_json::from_str(&text).map_err(|e| LogError(format!("subscription {id}: {e}")))?;
            all.push((id, request));
        }
        Ok(all)
    }

    /// Stores a subscription; returns its row id.
    pub fn add(&self, request: &SubscriptionRequest) -> Result<i64, LogError> {
        let text = serde_json::to_string(request).map_err(store_error)?;
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        connection
            .execute("INSERT INTO api_subscriptions (request) VALUES (?1)", params![text])
            .map_err(store_error)?;
        Ok(connection.last_insert_rowid())
    }

    /// Deletes row `id`.
    pub fn remove(&self, id: i64) -> Result<(), LogError> {
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        connection
            .execute("DELETE FROM api_subscriptions WHERE id = ?1", params![id])
            .map_err(store_error)?;
        Ok(())
    }

    /// Remembers that lane `key` is paused and why (or, with `None`, that it is no longer).
    pub fn set_paused(&self, key: &str, reason: Option<PauseReason>) -> Result<(), LogError> {
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        match reason {
            Some(reason) => connection.execute(
                "INSERT OR REPLACE INTO paused_lanes (key, reason) VALUES (?1, ?2)",
                params![key, reason_name(reason)],
            ),
            None => connection.execute("DELETE FROM paused_lanes WHERE key = ?1", params![key]),
        }
        .map_err(store_error)?;
        Ok(())
    }

    /// The paused lanes and why.
    pub fn paused(&self) -> Result<HashMap<String, PauseReason>, LogError> {
        let connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let mut statement =
            connection.prepare("SELECT key, reason FROM paused_lanes").map_err(store_error)?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
            .map_err(store_error)?;
        let mut paused = HashMap::new();
        for row in rows {
            let (key, reason) = row.map_err(store_error)?;
            paused.insert(key, reason_named(reason.as_deref().unwrap_or_default()));
        }
        Ok(paused)
    }
}

/// The pause reason stored as `name` (an operator's, unless `no_success`).
pub(super) fn reason_named(name: &str) -> PauseReason {
    if name == "no_success" { PauseReason::NoSuccess } else { PauseReason::Operator }
}

/// How a pause reason is stored (and shown by the admin API).
pub(super) fn reason_name(reason: PauseReason) -> &'static str {
    match reason {
        PauseReason::NoSuccess => "no_success",
        _ => "operator",
    }
}
