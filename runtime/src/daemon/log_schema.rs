//! The store's tables, and the upgrade of a store written by an earlier version.
//!
//! ```text
//! signals(row, id, source, type, subject, bus, accepted_ms, bytes, signal, lanes, held)
//! lanes(id, key)   lane_items(lane, seq → signals.row)
//! ```
//!
//! One row per accepted signal serves both the lanes' backlog and the history. A row is
//! *pending* while a lane item points to it (or, with `lanes = -1`, while it waits to be
//! routed: a row from a store written before lanes); `lanes` is otherwise the number of
//! lanes it was routed to. `held` is what a pending row counts for in the admission budget,
//! `bytes` what a finished one counts for in the history. A row is written once and never
//! updated: a signal's text goes to disk once, and finishing a lane writes only the narrow
//! `lane_items` pages (earlier versions kept a backlog row and a history copy: two inserts
//! and a delete more per signal).
//!
//! Earlier stores (`accepted_signals` for the backlog, `history_signals` for the history)
//! are moved into `signals` in one transaction when they are opened, history rows keeping
//! their row numbers (replay jobs hold them as cursors).

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use std::path::Path;

use super::history::insert_row;
use super::log::{LogError, log_error};
use crate::signal::Signal;

/// Which rows are pending (SQL, for a row of `signals` named `s`).
pub(super) const PENDING: &str = "(s.lanes < 0 OR EXISTS (SELECT 1 FROM lane_items i WHERE i.seq = s.row))";

/// Opens (and creates, or upgrades) the store's tables in `path`'s SQLite file.
pub(super) fn open(path: &Path) -> Result<Connection, LogError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| LogError(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut connection =
        Connection::open(path).map_err(|e| LogError(format!("cannot open {}: {e}", path.display())))?;
    let old_backlog = table_exists(&connection, "accepted_signals")?;
    let old_history = table_exists(&connection, "history_signals")?;
    let old_items = table_exists(&connection, "lane_items")?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = 67108864;
             CREATE TABLE IF NOT EXISTS signals (
                 row INTEGER PRIMARY KEY,
                 id TEXT NOT NULL,
                 source TEXT NOT NULL,
                 type TEXT NOT NULL,
                 subject TEXT,
                 bus TEXT NOT NULL,
                 accepted_ms INTEGER NOT NULL,
                 bytes INTEGER NOT NULL,
                 signal TEXT NOT NULL,
                 lanes INTEGER NOT NULL,
                 held INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS signals_id ON signals (id);
             CREATE TABLE IF NOT EXISTS lanes (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
             CREATE TABLE IF NOT EXISTS lane_items (
                 lane INTEGER NOT NULL,
                 seq INTEGER NOT NULL,
                 PRIMARY KEY (lane, seq)
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS lane_items_seq ON lane_items (seq);",
        )
        .map_err(log_error)?;
    if old_backlog || old_history {
        let transaction = connection.transaction().map_err(log_error)?;
        upgrade(&transaction, old_backlog, old_history, old_items)?;
        transaction.commit().map_err(log_error)?;
        tracing::info!(path = %path.display(), "moved the store's backlog and history into one table");
    }
    Ok(connection)
}

fn table_exists(connection: &Connection, name: &str) -> Result<bool, LogError> {
    connection
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(log_error)
}

/// Moves an earlier store's `history_signals` and `accepted_signals` into `signals`, and
/// points its lane items at the new rows.
fn upgrade(
    transaction: &Transaction<'_>,
    old_backlog: bool,
    old_history: bool,
    old_items: bool,
) -> Result<(), LogError> {
    if old_history {
        transaction
            .execute_batch(
                "INSERT INTO signals (row, id, source, type, subject, bus, accepted_ms, bytes, signal, lanes, held)
                     SELECT row, id, source, type, subject, bus, accepted_ms, bytes, signal, 0, 0
                     FROM history_signals;
                 CREATE INDEX history_signals_seq ON history_signals (seq);",
            )
            .map_err(log_error)?;
    }
    if old_backlog {
        transaction
            .execute_batch("CREATE TEMP TABLE moved (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
            .map_err(log_error)?;
        for (seq, bus, text, held, lanes) in backlog_rows(transaction, old_items)? {
            // A backlog row without lanes is from a store written before lanes: not routed.
            let lanes = if lanes > 0 { lanes } else { -1 };
            let history: Option<i64> = if old_history {
                transaction
                    .query_row("SELECT max(row) FROM history_signals WHERE seq = ?1", [seq], |r| r.get(0))
                    .map_err(log_error)?
            } else {
                None
            };
            let row = match history {
                Some(row) => {
                    transaction
                        .execute(
                            "UPDATE signals SET lanes = ?2, held = ?3 WHERE row = ?1",
                            params![row, lanes, held],
                        )
                        .map_err(log_error)?;
                    row
                }
                None => insert_moved(transaction, &bus, &text, held, lanes)
                    .map_err(|e| LogError(format!("row {seq}: {}", e.0)))?,
            };
            transaction
                .execute("INSERT INTO temp.moved (old, new) VALUES (?1, ?2)", params![seq, row])
                .map_err(log_error)?;
        }
        transaction
            .execute_batch(
                "CREATE TABLE lane_items_moved (
                     lane INTEGER NOT NULL,
                     seq INTEGER NOT NULL,
                     PRIMARY KEY (lane, seq)
                 ) WITHOUT ROWID;
                 INSERT OR IGNORE INTO lane_items_moved (lane, seq)
                     SELECT i.lane, m.new FROM lane_items i JOIN temp.moved m ON m.old = i.seq;
                 DROP TABLE lane_items;
                 ALTER TABLE lane_items_moved RENAME TO lane_items;
                 CREATE INDEX lane_items_seq ON lane_items (seq);
                 DROP TABLE temp.moved;
                 DROP TABLE accepted_signals;",
            )
            .map_err(log_error)?;
    }
    if old_history {
        transaction.execute_batch("DROP TABLE history_signals").map_err(log_error)?;
    }
    Ok(())
}

/// An earlier store's backlog rows: seq, bus, text, admission bytes and lanes left (from
/// the row's count, or its lane items in a store that had no count yet).
type BacklogRow = (i64, String, String, i64, i64);

fn backlog_rows(transaction: &Transaction<'_>, old_items: bool) -> Result<Vec<BacklogRow>, LogError> {
    let has =
        |column: &str| transaction.prepare(&format!("SELECT {column} FROM accepted_signals LIMIT 0")).is_ok();
    let held = if has("bytes") { "a.bytes" } else { "0" };
    let lanes = match (has("lanes"), old_items) {
        (true, _) => "a.lanes",
        (false, true) => "(SELECT count(*) FROM lane_items i WHERE i.seq = a.seq)",
        (false, false) => "0",
    };
    let sql =
        format!("SELECT a.seq, a.bus, a.signal, {held}, {lanes} FROM accepted_signals a ORDER BY a.seq");
    let mut statement = transaction.prepare(&sql).map_err(log_error)?;
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .map_err(log_error)?;
    rows.collect::<Result<_, _>>().map_err(log_error)
}

/// A backlog row that had no history copy gets a row of its own, after every other.
fn insert_moved(
    transaction: &Transaction<'_>,
    bus: &str,
    text: &str,
    held: i64,
    lanes: i64,
) -> Result<i64, LogError> {
    let signal = Signal::from_json(text).map_err(|e| LogError(e.to_string()))?;
    let row: i64 = transaction
        .query_row("SELECT coalesce(max(row), 0) + 1 FROM signals", [], |r| r.get(0))
        .map_err(log_error)?;
    insert_row(transaction, row, bus, &signal, text, lanes, held)?;
    Ok(row)
}
