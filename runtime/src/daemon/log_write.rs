//! The store's writer thread and its transactions: appends with their lane items (and
//! history rows), lane items done, attempts recorded, backlogs forgotten; the history
//! pruned between transactions. A signal's row is deleted with its last lane item.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use super::admission::Admission;
use super::history::{self, Retention};
use super::log::{Command, Committed, LogError, OnCommit, log_error};

/// What a transaction did, for the writer to report once it has committed.
#[derive(Debug, Default)]
pub(super) struct Written {
    /// Per append command, its committed signals.
    pub appended: Vec<Vec<Committed>>,
    /// Signals (and their bytes) that left the store or were never stored.
    pub released: (usize, usize),
    /// Lane items deleted by `Forget`.
    pub forgotten: usize,
    /// Bytes added to the history (signals and attempts).
    pub history: usize,
}

pub(super) fn write_group(
    connection: &mut Connection,
    group: &[Command],
    lane_ids: &mut HashMap<Arc<str>, i64>,
    keep_history: bool,
    written: &mut Written,
) -> Result<(), LogError> {
    let transaction = connection.transaction().map_err(log_error)?;
    for command in group {
        match command {
            Command::Append { bus, signals, .. } => {
                let mut rows = Vec::with_capacity(signals.len());
                for routed in signals {
                    let text = routed.signal.to_json();
                    if routed.lanes.is_empty() {
                        written.released.0 += 1;
                        written.released.1 += routed.bytes;
                        if keep_history {
                            written.history +=
                                history::insert_signal(&transaction, bus, routed, None, &text)?;
                        }
                        continue;
                    }
                    let seq = insert_signal(&transaction, bus, routed, &text, routed.lanes.len())?;
                    if keep_history {
                        written.history +=
                            history::insert_signal(&transaction, bus, routed, Some(seq), &text)?;
                    }
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
            Command::Attempt(record) => {
                if keep_history {
                    written.history += history::insert_attempt(&transaction, record)?;
                }
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
    text: &str,
    lanes: usize,
) -> Result<i64, LogError> {
    let bytes = i64::try_from(routed.bytes).unwrap_or(i64::MAX);
    let lanes = i64::try_from(lanes).unwrap_or(0);
    transaction
        .prepare_cached("INSERT INTO accepted_signals (bus, signal, bytes, lanes) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut s| s.execute(params![bus, text, bytes, lanes]))
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

/// Largest number of commands folded into one transaction.
const GROUP: usize = 4096;

/// Signals appended in one transaction before it is closed.
const GROUP_SIGNALS: usize = 2048;

impl Command {
    /// Signals this command appends.
    fn signals(&self) -> usize {
        match self {
            Command::Append { signals, .. } => signals.len(),
            _ => 0,
        }
    }
}

/// How often the writer prunes the history (and at most how long it idles).
const PRUNE_EVERY: Duration = Duration::from_secs(5);

/// The history's retention and the bytes it holds, owned by the writer.
#[derive(Debug)]
pub(super) struct History {
    pub retention: Retention,
    pub held: usize,
}

impl History {
    /// Prunes when the budget is passed or [`PRUNE_EVERY`] has gone by.
    fn prune_if_due(&mut self, connection: &mut Connection, last: &mut Instant) {
        if self.held <= self.retention.max_bytes && last.elapsed() < PRUNE_EVERY {
            return;
        }
        *last = Instant::now();
        if let Err(error) = history::prune(connection, &self.retention, &mut self.held) {
            tracing::warn!(%error, "cannot prune the history");
        }
    }
}

pub(super) fn writer(
    mut connection: Connection,
    commands: std_mpsc::Receiver<Command>,
    admission: Arc<Admission>,
    mut history: History,
    on_commit: OnCommit,
) {
    let mut lane_ids: HashMap<Arc<str>, i64> = HashMap::new();
    let mut pruned = Instant::now();
    loop {
        let first = match commands.recv_timeout(PRUNE_EVERY) {
            Ok(first) => first,
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                history.prune_if_due(&mut connection, &mut pruned);
                continue;
            }
            Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut signals = first.signals();
        let mut group = vec![first];
        // A transaction takes what queued meanwhile, up to a size that keeps one commit short
        // (a flood of large batches must not hold the next small request for long).
        while group.len() < GROUP && signals < GROUP_SIGNALS {
            match commands.try_recv() {
                Ok(command) => {
                    signals += command.signals();
                    group.push(command);
                }
                Err(_) => break,
            }
        }
        let mut written = Written::default();
        let keep = history.retention.enabled;
        let outcome = write_group(&mut connection, &group, &mut lane_ids, keep, &mut written);
        if outcome.is_err() {
            // The transaction rolled back: lane ids it created are gone too.
            lane_ids.clear();
        }
        let mut appended = written.appended.into_iter();
        let mut closed = false;
        for command in group {
            match command {
                Command::Append { reply, .. } => {
                    if outcome.is_ok() {
                        for committed in appended.next().unwrap_or_default() {
                            on_commit(committed);
                        }
                    }
                    let _ = reply.send(outcome.clone());
                }
                Command::Attach { reply, .. } => {
                    let _ = reply.send(outcome.clone());
                }
                Command::Forget { reply, .. } => {
                    let _ = reply.send(outcome.clone().map(|()| written.forgotten));
                }
                Command::Close(reply) => {
                    let _ = reply.send(());
                    closed = true;
                }
                Command::Done(..) | Command::Attempt(_) => {}
            }
        }
        match outcome {
            Ok(()) => {
                admission.release(written.released.0, written.released.1);
                history.held += written.history;
            }
            Err(error) => tracing::error!(%error, "the signal store could not commit"),
        }
        if closed {
            return;
        }
        if keep {
            history.prune_if_due(&mut connection, &mut pruned);
        }
    }
}
