//! One transaction of the store's writer: appends with their lane items, lane items done,
//! backlogs forgotten. A signal's row is deleted with its last lane item.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::log::{Command, Committed, LogError, log_error};

/// What a transaction did, for the writer to report once it has committed.
#[derive(Debug, Default)]
pub(super) struct Written {
    /// Per append command, its committed signals.
    pub appended: Vec<Vec<Committed>>,
    /// Signals (and their bytes) that left the store or were never stored.
    pub released: (usize, usize),
    /// Lane items deleted by `Forget`.
    pub forgotten: usize,
}

pub(super) fn write_group(
    connection: &mut Connection,
    group: &[Command],
    lane_ids: &mut HashMap<Arc<str>, i64>,
    written: &mut Written,
) -> Result<(), LogError> {
    let transaction = connection.transaction().map_err(log_error)?;
    for command in group {
        match command {
            Command::Append { bus, signals, .. } => {
                let mut rows = Vec::with_capacity(signals.len());
                for routed in signals {
                    if routed.lanes.is_empty() {
                        written.released.0 += 1;
                        written.released.1 += routed.bytes;
                        continue;
                    }
                    let seq = insert_signal(&transaction, bus, routed, routed.lanes.len())?;
                    for lane in &routed.lanes {
                        let id = lane_id(&transaction, lane_ids, lane)?;
                        transaction
                            .prepare_cached("INSERT OR IGNORE INTO lane_items (lane, seq) VALUES (?1, ?2)")
                            .and_then(|mut s| s.execute(params![id, seq]))
                            .map_err(log_error)?;
                    }
                    let seq = u64::try_from(seq).unwrap_or(0);
                    rows.push(Committed {
                        seq,
                        bus: bus.clone(),
                        signal: routed.signal.clone(),
                        lanes: routed.lanes.clone(),
                    });
                }
                written.appended.push(rows);
            }
            Command::Done(lane, seq) => {
                let Some(&id) = lane_ids.get(lane) else {
                    let id = known_lane(&transaction, lane)?;
                    if let Some(id) = id {
                        lane_ids.insert(lane.clone(), id);
                        done(&transaction, id, *seq, written)?;
                    }
                    continue;
                };
                done(&transaction, id, *seq, written)?;
            }
            Command::Attach { seq, lanes, .. } => {
                let seq = i64::try_from(*seq).unwrap_or(i64::MAX);
                let mut added = 0;
                for lane in lanes {
                    let id = lane_id(&transaction, lane_ids, lane)?;
                    added += transaction
                        .prepare_cached("INSERT OR IGNORE INTO lane_items (lane, seq) VALUES (?1, ?2)")
                        .and_then(|mut s| s.execute(params![id, seq]))
                        .map_err(log_error)?;
                }
                lanes_finished(&transaction, seq, -i64::try_from(added).unwrap_or(0), written)?;
            }
            Command::Forget { lanes, keep, .. } => {
                written.forgotten += forget(&transaction, lanes, *keep, written)?;
                lane_ids.clear();
            }
            Command::Close(_) => {}
        }
    }
    transaction.commit().map_err(log_error)
}

fn insert_signal(
    transaction: &Transaction<'_>,
    bus: &str,
    routed: &super::log::Routed,
    lanes: usize,
) -> Result<i64, LogError> {
    let bytes = i64::try_from(routed.bytes).unwrap_or(i64::MAX);
    let lanes = i64::try_from(lanes).unwrap_or(0);
    transaction
        .prepare_cached("INSERT INTO accepted_signals (bus, signal, bytes, lanes) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![bus, routed.signal.to_json(), bytes, lanes]))
        .map_err(log_error)?;
    Ok(transaction.last_insert_rowid())
}

fn known_lane(transaction: &Transaction<'_>, key: &str) -> Result<Option<i64>, LogError> {
    transaction
        .prepare_cached("SELECT id FROM lanes WHERE key = ?1")
        .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
        .map_err(log_error)
}

fn lane_id(
    transaction: &Transaction<'_>,
    lane_ids: &mut HashMap<Arc<str>, i64>,
    key: &Arc<str>,
) -> Result<i64, LogError> {
    if let Some(&id) = lane_ids.get(key) {
        return Ok(id);
    }
    let id = match known_lane(transaction, key)? {
        Some(id) => id,
        None => {
            transaction
                .prepare_cached("INSERT INTO lanes (key) VALUES (?1)")
                .and_then(|mut s| s.execute(params![&**key]))
                .map_err(log_error)?;
            transaction.last_insert_rowid()
        }
    };
    lane_ids.insert(key.clone(), id);
    Ok(id)
}

/// Deletes one lane item, and the signal with its last one.
fn done(transaction: &Transaction<'_>, lane: i64, seq: u64, written: &mut Written) -> Result<(), LogError> {
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    let deleted = transaction
        .prepare_cached("DELETE FROM lane_items WHERE lane = ?1 AND seq = ?2")
        .and_then(|mut s| s.execute(params![lane, seq]))
        .map_err(log_error)?;
    if deleted > 0 {
        lanes_finished(transaction, seq, 1, written)?;
    }
    Ok(())
}

/// `finished` more lanes of row `seq` are done (negative: lanes were added); the row goes
/// when none is left, and its bytes are released.
fn lanes_finished(
    transaction: &Transaction<'_>,
    seq: i64,
    finished: i64,
    written: &mut Written,
) -> Result<(), LogError> {
    let left: Option<(i64, i64)> = transaction
        .prepare_cached(
            "UPDATE accepted_signals SET lanes = lanes - ?2 WHERE seq = ?1 RETURNING lanes, bytes",
        )
        .and_then(|mut s| s.query_row(params![seq, finished], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(log_error)?;
    if let Some((left, bytes)) = left
        && left <= 0
    {
        transaction
            .prepare_cached("DELETE FROM accepted_signals WHERE seq = ?1")
            .and_then(|mut s| s.execute(params![seq]))
            .map_err(log_error)?;
        written.released.0 += 1;
        written.released.1 += usize::try_from(bytes).unwrap_or(0);
    }
    Ok(())
}

/// Deletes the items of the lanes listed (or of every lane not listed, with `keep`), then
/// the signals left without any.
fn forget(
    transaction: &Transaction<'_>,
    lanes: &[Arc<str>],
    keep: bool,
    written: &mut Written,
) -> Result<usize, LogError> {
    let all: Vec<(i64, String)> = {
        let mut statement = transaction.prepare("SELECT id, key FROM lanes").map_err(log_error)?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(log_error)?;
        rows.collect::<Result<_, _>>().map_err(log_error)?
    };
    let mut count = 0;
    for (id, key) in all {
        // An entry ending in `#` names every lane of a subscription (one that could not be
        // opened at start keeps its backlog for a later start).
        let listed =
            lanes.iter().any(|lane| **lane == *key || (lane.ends_with('#') && key.starts_with(&**lane)));
        if listed == keep {
            continue;
        }
        let seqs: Vec<i64> = {
            let mut statement =
                transaction.prepare("SELECT seq FROM lane_items WHERE lane = ?1").map_err(log_error)?;
            let rows = statement.query_map(params![id], |r| r.get(0)).map_err(log_error)?;
            rows.collect::<Result<_, _>>().map_err(log_error)?
        };
        transaction.execute("DELETE FROM lane_items WHERE lane = ?1", params![id]).map_err(log_error)?;
        transaction.execute("DELETE FROM lanes WHERE id = ?1", params![id]).map_err(log_error)?;
        if !seqs.is_empty() {
            tracing::warn!(lane = %key, signals = seqs.len(), "dropping the backlog of a lane that no longer exists");
        }
        count += seqs.len();
        for seq in seqs {
            lanes_finished(transaction, seq, 1, written)?;
        }
    }
    Ok(count)
}
