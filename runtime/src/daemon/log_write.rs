//! The store's writer thread and its transactions: appends with their lane items, lane
//! items done, attempts recorded, backlogs forgotten; the history pruned between
//! transactions. A signal's row stays as history when its last lane item goes (or is
//! deleted with it, with the history off).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use super::admission::Admission;
use super::history::{self, Retention};
use super::log::{Command, Committed, LogError, OnCommit, Routed, log_error};
use super::log_group;

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

/// The writer's state across transactions.
pub(super) struct Writer {
    connection: Connection,
    admission: Arc<Admission>,
    history: History,
    /// Store ids of the lanes seen so far.
    lane_ids: HashMap<Arc<str>, i64>,
    /// The last row given to a signal: rows only grow while the process runs, so a lane's
    /// cursor into its backlog never misses a row (a row deleted at the end of the table,
    /// history off, is not given out again).
    last_row: i64,
}

/// One transaction of the writer, and what it did.
struct Tx<'c, 'w> {
    transaction: Transaction<'c>,
    lane_ids: &'w mut HashMap<Arc<str>, i64>,
    last_row: &'w mut i64,
    /// Whether finished rows stay as history.
    keep: bool,
    written: Written,
}

impl Tx<'_, '_> {
    fn command(&mut self, command: &Command) -> Result<(), LogError> {
        match command {
            Command::Append { bus, signals, .. } => {
                let mut rows = Vec::with_capacity(signals.len());
                for routed in signals {
                    if let Some(row) = self.append(bus, routed)? {
                        rows.push(Committed {
                            seq: u64::try_from(row).unwrap_or(0),
                            bus: bus.clone(),
                            signal: routed.signal.clone(),
                            lanes: routed.lanes.clone(),
                        });
                    }
                }
                self.written.appended.push(rows);
            }
            Command::Done(lane, seq) => {
                let id = match self.lane_ids.get(lane) {
                    Some(&id) => Some(id),
                    None => known_lane(&self.transaction, lane)?,
                };
                if let Some(id) = id {
                    self.lane_ids.insert(lane.clone(), id);
                    self.done(id, i64::try_from(*seq).unwrap_or(i64::MAX))?;
                }
            }
            Command::Attach { seq, lanes, .. } => {
                let row = i64::try_from(*seq).unwrap_or(i64::MAX);
                let mut added = 0;
                for lane in lanes {
                    added += self.add_item(lane, row)?;
                }
                let added = i64::try_from(added).unwrap_or(0);
                let routed = self
                    .transaction
                    .prepare_cached("UPDATE signals SET lanes = ?2 WHERE row = ?1 AND lanes < 0")
                    .and_then(|mut s| s.execute(params![row, added]))
                    .map_err(log_error)?;
                if routed > 0 && added == 0 {
                    self.settle(row)?;
                }
            }
            Command::Forget { lanes, keep, .. } => {
                let forgotten = self.forget(lanes, *keep)?;
                self.written.forgotten += forgotten;
                self.lane_ids.clear();
            }
            Command::Attempt(record) => {
                if self.keep {
                    self.written.history += history::insert_attempt(&self.transaction, record)?;
                }
            }
            Command::Close(_) => {}
        }
        Ok(())
    }

    /// Stores one signal with its lane items; returns its row (none: the signal went to no
    /// lane, so it was only recorded, or not stored at all with the history off).
    fn append(&mut self, bus: &str, routed: &Routed) -> Result<Option<i64>, LogError> {
        if routed.lanes.is_empty() {
            self.written.released.0 += 1;
            self.written.released.1 += routed.bytes;
            if self.keep {
                *self.last_row += 1;
                self.written.history +=
                    history::insert_signal(&self.transaction, *self.last_row, bus, routed, 0)?;
            }
            return Ok(None);
        }
        *self.last_row += 1;
        let row = *self.last_row;
        history::insert_signal(&self.transaction, row, bus, routed, routed.lanes.len())?;
        for lane in &routed.lanes {
            self.add_item(lane, row)?;
        }
        Ok(Some(row))
    }

    /// Adds `lane`'s item for `row`; returns 1, or 0 when it was there already.
    fn add_item(&mut self, lane: &Arc<str>, row: i64) -> Result<usize, LogError> {
        let id = lane_id(&self.transaction, self.lane_ids, lane)?;
        self.transaction
            .prepare_cached("INSERT OR IGNORE INTO lane_items (lane, seq) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![id, row]))
            .map_err(log_error)
    }

    /// Deletes one lane item; with the row's last, the row is done.
    fn done(&mut self, lane: i64, row: i64) -> Result<(), LogError> {
        let deleted = self
            .transaction
            .prepare_cached("DELETE FROM lane_items WHERE lane = ?1 AND seq = ?2")
            .and_then(|mut s| s.execute(params![lane, row]))
            .map_err(log_error)?;
        if deleted > 0 {
            self.settle_if_done(row)?;
        }
        Ok(())
    }

    /// Settles `row` if no lane item points to it any more.
    fn settle_if_done(&mut self, row: i64) -> Result<(), LogError> {
        let held = self
            .transaction
            .prepare_cached("SELECT 1 FROM lane_items WHERE seq = ?1 LIMIT 1")
            .and_then(|mut s| s.exists(params![row]))
            .map_err(log_error)?;
        if held { Ok(()) } else { self.settle(row) }
    }

    /// A routed row no lane holds any more gives its bytes back to the admission budget, and
    /// becomes history (or goes, with the history off).
    fn settle(&mut self, row: i64) -> Result<(), LogError> {
        let found: Option<(i64, i64)> = self
            .transaction
            .prepare_cached("SELECT held, bytes FROM signals WHERE row = ?1 AND lanes >= 0")
            .and_then(|mut s| s.query_row(params![row], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(log_error)?;
        let Some((held, bytes)) = found else { return Ok(()) };
        self.written.released.0 += 1;
        self.written.released.1 += usize::try_from(held).unwrap_or(0);
        if self.keep {
            self.written.history += usize::try_from(bytes).unwrap_or(0);
        } else {
            self.transaction
                .prepare_cached("DELETE FROM signals WHERE row = ?1")
                .and_then(|mut s| s.execute(params![row]))
                .map_err(log_error)?;
        }
        Ok(())
    }

    /// Deletes the items of the lanes listed (or of every lane not listed, with `keep`), and
    /// settles the rows left without any.
    fn forget(&mut self, lanes: &[Arc<str>], keep: bool) -> Result<usize, LogError> {
        let all: Vec<(i64, String)> = {
            let mut statement = self.transaction.prepare("SELECT id, key FROM lanes").map_err(log_error)?;
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
            let rows: Vec<i64> = {
                let mut statement = self
                    .transaction
                    .prepare("SELECT seq FROM lane_items WHERE lane = ?1")
                    .map_err(log_error)?;
                let rows = statement.query_map(params![id], |r| r.get(0)).map_err(log_error)?;
                rows.collect::<Result<_, _>>().map_err(log_error)?
            };
            self.transaction
                .execute("DELETE FROM lane_items WHERE lane = ?1", params![id])
                .map_err(log_error)?;
            self.transaction.execute("DELETE FROM lanes WHERE id = ?1", params![id]).map_err(log_error)?;
            if !rows.is_empty() {
                tracing::warn!(lane = %key, signals = rows.len(), "dropping the backlog of a lane that no longer exists");
            }
            count += rows.len();
            for row in rows {
                self.settle_if_done(row)?;
            }
        }
        Ok(count)
    }
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

impl Writer {
    pub(super) fn new(
        connection: Connection,
        admission: Arc<Admission>,
        history: History,
        last_row: i64,
    ) -> Self {
        Writer { connection, admission, history, lane_ids: HashMap::new(), last_row }
    }

    /// Runs `group` in one transaction; on failure it rolled back, and the row numbers and
    /// lane ids it handed out are forgotten.
    fn write_group(&mut self, group: &[Command]) -> Result<Written, LogError> {
        let last_row = self.last_row;
        let keep = self.history.retention.enabled;
        let mut tx = Tx {
            transaction: self.connection.transaction().map_err(log_error)?,
            lane_ids: &mut self.lane_ids,
            last_row: &mut self.last_row,
            keep,
            written: Written::default(),
        };
        let outcome = group.iter().try_for_each(|command| tx.command(command));
        let Tx { transaction, written, .. } = tx;
        let committed = outcome.and_then(|()| transaction.commit().map_err(log_error));
        if committed.is_err() {
            self.lane_ids.clear();
            self.last_row = last_row;
        }
        committed.map(|()| written)
    }

    /// Takes commands until every sender is gone or a `Close` comes.
    pub(super) fn run(mut self, commands: std_mpsc::Receiver<Command>, on_commit: OnCommit) {
        let mut pruned = Instant::now();
        loop {
            let first = match commands.recv_timeout(PRUNE_EVERY) {
                Ok(first) => first,
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    self.history.prune_if_due(&mut self.connection, &mut pruned);
                    continue;
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            let group = log_group::gather(first, |wait| match wait {
                Some(left) => commands.recv_timeout(left).ok(),
                None => commands.try_recv().ok(),
            });
            let (outcome, forgotten, appended) = match self.write_group(&group) {
                Ok(written) => {
                    self.admission.release(written.released.0, written.released.1);
                    self.history.held += written.history;
                    (Ok(()), written.forgotten, written.appended)
                }
                Err(error) => {
                    tracing::error!(%error, "the signal store could not commit");
                    (Err(error), 0, Vec::new())
                }
            };
            let mut appended = appended.into_iter();
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
                        let _ = reply.send(outcome.clone().map(|()| forgotten));
                    }
                    Command::Close(reply) => {
                        let _ = reply.send(());
                        closed = true;
                    }
                    Command::Done(..) | Command::Attempt(_) => {}
                }
            }
            if closed {
                return;
            }
            if self.history.retention.enabled {
                self.history.prune_if_due(&mut self.connection, &mut pruned);
            }
        }
    }
}
