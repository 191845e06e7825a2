//! The history the store keeps for operators: every accepted signal and every delivery
//! attempt, for a retention window and within a byte budget (`[store] retention`,
//! `retention_bytes`). A signal's history is its row in `signals` (see
//! [`log_schema`](super::log_schema)), the row its lanes' backlog points to: once no lane
//! holds it any more it counts for the history, until it expires.
//!
//! ```text
//! attempts(row, at_ms, signal_id, signal_source, subscription, lane, target, adapter,
//!          attempt, duration_us, outcome, message, status, body, bytes)
//! ```
//!
//! Both are written by the store's writer in the transactions it already runs (group
//! commit); [`prune`] runs on the writer between them: rows older than the window go,
//! then the oldest rows until the tables hold at most the budget. A row a lane still holds
//! is never pruned, and counts for the history only once it is done.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::log::{LogError, Routed, log_error};
use crate::signal::Signal;
use crate::telemetry::AttemptRecord;

/// What the history keeps, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Whether signals and attempts are kept at all (`[store] attempt_log`).
    pub enabled: bool,
    /// How long rows are kept (`[store] retention`, default 7 days).
    pub window: Duration,
    /// Bytes the history may hold (`[store] retention_bytes`, default 256 MiB).
    pub max_bytes: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { enabled: true, window: Duration::from_secs(7 * 86_400), max_bytes: 256 << 20 }
    }
}

/// Bytes a row counts for beyond its text (keys, numbers, index entries).
const ROW_OVERHEAD: usize = 96;

/// Rows deleted per statement while pruning.
const PRUNE_CHUNK: i64 = 2_000;

/// Milliseconds since the Unix epoch.
pub(super) fn unix_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Creates the attempts table and returns the bytes the history holds (signals no lane
/// holds any more, and attempts).
pub(super) fn open(connection: &Connection) -> Result<usize, LogError> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS attempts (
                 row INTEGER PRIMARY KEY AUTOINCREMENT,
                 at_ms INTEGER NOT NULL,
                 signal_id TEXT NOT NULL,
                 signal_source TEXT NOT NULL,
                 subscription INTEGER,
                 lane TEXT,
                 target TEXT NOT NULL,
                 adapter TEXT NOT NULL,
                 attempt INTEGER NOT NULL,
                 duration_us INTEGER NOT NULL,
                 outcome TEXT NOT NULL,
                 message TEXT,
                 status INTEGER,
                 body TEXT,
                 bytes INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS attempts_signal ON attempts (signal_id);",
        )
        .map_err(log_error)?;
    let pending = super::log_schema::PENDING;
    let held: i64 = connection
        .query_row(
            &format!(
                "SELECT (SELECT coalesce(sum(bytes), 0) FROM signals s WHERE NOT {pending})
                      + (SELECT coalesce(sum(bytes), 0) FROM attempts)"
            ),
            [],
            |r| r.get(0),
        )
        .map_err(log_error)?;
    Ok(usize::try_from(held).unwrap_or(0))
}

/// Stores an accepted signal as row `row`, held by `lanes` lanes; returns the bytes it
/// counts for in the history once no lane holds it.
pub(super) fn insert_signal(
    transaction: &Transaction<'_>,
    row: i64,
    bus: &str,
    routed: &Routed,
    lanes: usize,
) -> Result<usize, LogError> {
    let lanes = i64::try_from(lanes).unwrap_or(i64::MAX);
    let held = i64::try_from(routed.bytes).unwrap_or(i64::MAX);
    insert_row(transaction, row, bus, &routed.signal, &routed.signal.to_json(), lanes, held)
}

/// Inserts row `row` of `signals` for `signal` (encoded as `text`); returns its history
/// bytes.
pub(super) fn insert_row(
    transaction: &Transaction<'_>,
    row: i64,
    bus: &str,
    signal: &Signal,
    text: &str,
    lanes: i64,
    held: i64,
) -> Result<usize, LogError> {
    let bytes = text.len() + ROW_OVERHEAD;
    transaction
        .prepare_cached(
            "INSERT INTO signals (row, id, source, type, subject, bus, accepted_ms, bytes, signal, lanes, held)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .and_then(|mut s| {
            s.execute(params![
                row,
                signal.id,
                signal.source,
                signal.ty,
                signal.subject,
                bus,
                unix_ms(SystemTime::now()),
                i64::try_from(bytes).unwrap_or(i64::MAX),
                text,
                lanes,
                held,
            ])
        })
        .map_err(log_error)?;
    Ok(bytes)
}

/// Records one attempt; returns the bytes it counts for.
pub(super) fn insert_attempt(
    transaction: &Transaction<'_>,
    record: &AttemptRecord,
) -> Result<usize, LogError> {
    let bytes = ROW_OVERHEAD
        + record.signal_id.len()
        + record.signal_source.len()
        + record.lane.as_deref().map_or(0, str::len)
        + record.target.len()
        + record.message.as_deref().map_or(0, str::len)
        + record.body.as_deref().map_or(0, str::len);
    transaction
        .prepare_cached(
            "INSERT INTO attempts (at_ms, signal_id, signal_source, subscription, lane, target, adapter,
                 attempt, duration_us, outcome, message, status, body, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .and_then(|mut s| {
            s.execute(params![
                unix_ms(record.at),
                record.signal_id,
                record.signal_source,
                record.subscription.and_then(|id| i64::try_from(id).ok()),
                record.lane.as_deref(),
                &*record.target,
                &*record.adapter,
                record.attempt,
                i64::try_from(record.duration.as_micros()).unwrap_or(i64::MAX),
                record.outcome,
                record.message,
                record.status,
                record.body,
                i64::try_from(bytes).unwrap_or(i64::MAX),
            ])
        })
        .map_err(log_error)?;
    Ok(bytes)
}

/// A history table: its name, its time column and which of its rows may be pruned.
#[derive(Debug, Clone, Copy)]
struct Table {
    name: &'static str,
    at: &'static str,
    prunable: &'static str,
}

/// Signals count for the history (and may be pruned) only once no lane holds them.
const SIGNALS: Table = Table {
    name: "signals",
    at: "accepted_ms",
    prunable: "lanes >= 0 AND NOT EXISTS (SELECT 1 FROM lane_items i WHERE i.seq = signals.row)",
};

const ATTEMPTS: Table = Table { name: "attempts", at: "at_ms", prunable: "1" };

/// Deletes rows past the window, then the oldest rows until the history holds at most
/// its budget; `held` is the history's byte count, kept up to date. Rows a lane still
/// holds are left alone (they are not in `held`).
pub(super) fn prune(
    connection: &mut Connection,
    retention: &Retention,
    held: &mut usize,
) -> Result<(), LogError> {
    let cutoff = unix_ms(SystemTime::now()) - i64::try_from(retention.window.as_millis()).unwrap_or(i64::MAX);
    for table in [SIGNALS, ATTEMPTS] {
        while oldest(connection, table)?.is_some_and(|first| first < cutoff) {
            let freed = delete_chunk(connection, table, Some(cutoff), PRUNE_CHUNK)?;
            *held = held.saturating_sub(freed.1);
            if freed.0 < PRUNE_CHUNK {
                break;
            }
        }
    }
    while *held > retention.max_bytes {
        // Signals and their attempts age together: the older of the two oldest rows goes.
        let excess = *held - retention.max_bytes;
        let table = match (oldest(connection, SIGNALS)?, oldest(connection, ATTEMPTS)?) {
            (Some(s), Some(a)) if a < s => ATTEMPTS,
            (Some(_), _) => SIGNALS,
            (None, Some(_)) => ATTEMPTS,
            (None, None) => {
                *held = 0;
                break;
            }
        };
        // Only as many of the oldest rows as free the excess, not a whole chunk.
        let rows = rows_to_free(connection, table, excess)?;
        let freed = delete_chunk(connection, table, None, rows)?;
        *held = held.saturating_sub(freed.1);
        if freed.0 == 0 {
            break;
        }
    }
    Ok(())
}

/// The time of `table`'s oldest prunable row. Rows are appended in time order: for
/// attempts this is a primary-key lookup, for signals a walk past the rows lanes still
/// hold at the start of the table.
fn oldest(connection: &Connection, table: Table) -> Result<Option<i64>, LogError> {
    let Table { name, at, prunable } = table;
    connection
        .prepare_cached(&format!("SELECT {at} FROM {name} WHERE {prunable} ORDER BY row LIMIT 1"))
        .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
        .map_err(log_error)
}

/// How many of the oldest prunable rows of `table` hold at least `excess` bytes (at most
/// [`PRUNE_CHUNK`]).
fn rows_to_free(connection: &Connection, table: Table, excess: usize) -> Result<i64, LogError> {
    let Table { name, prunable, .. } = table;
    let sql = format!("SELECT bytes FROM {name} WHERE {prunable} ORDER BY row LIMIT {PRUNE_CHUNK}");
    let mut statement = connection.prepare_cached(&sql).map_err(log_error)?;
    let sizes = statement.query_map([], |r| r.get::<_, i64>(0)).map_err(log_error)?;
    let (mut rows, mut freed) = (0, 0usize);
    for size in sizes {
        rows += 1;
        freed += usize::try_from(size.map_err(log_error)?).unwrap_or(0);
        if freed >= excess {
            break;
        }
    }
    Ok(rows.max(1))
}

/// Deletes up to `limit` of the oldest prunable rows of `table` (only those whose time
/// column is before `older_than`, if given); returns how many rows and bytes went.
fn delete_chunk(
    connection: &mut Connection,
    table: Table,
    older_than: Option<i64>,
    limit: i64,
) -> Result<(i64, usize), LogError> {
    let Table { name, at, prunable } = table;
    let transaction = connection.transaction().map_err(log_error)?;
    let (rows, bytes): (i64, i64) = {
        let (condition, cutoff) = match older_than {
            Some(cutoff) => (format!("{at} < ?1"), cutoff),
            None => ("?1 = ?1".to_owned(), 0),
        };
        let sql = format!(
            "DELETE FROM {name} WHERE row IN
                 (SELECT row FROM {name} WHERE {prunable} AND {condition} ORDER BY row LIMIT ?2)
             RETURNING bytes"
        );
        let mut statement = transaction.prepare_cached(&sql).map_err(log_error)?;
        let freed = statement.query_map(params![cutoff, limit], |r| r.get::<_, i64>(0)).map_err(log_error)?;
        let mut total = (0, 0);
        for bytes in freed {
            total.0 += 1;
            total.1 += bytes.map_err(log_error)?;
        }
        total
    };
    transaction.commit().map_err(log_error)?;
    Ok((rows, usize::try_from(bytes).unwrap_or(0)))
}
