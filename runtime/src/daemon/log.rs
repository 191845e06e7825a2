//! The durable store of accepted signals and of each lane's backlog: SQLite tables
//! ([`log_schema`](super::log_schema)) written by one thread with group commit.
//!
//! Ingress routes each signal first ([`Bus::route`](crate::bus::Bus::route)), then appends
//! it (one row, which is also its history) together with one *lane item* per lane it goes
//! to, and answers only after the transaction holding them has committed (WAL,
//! `synchronous = FULL`). Every command that queued up while one transaction ran goes into
//! the next one, so concurrent requests share a commit. After each commit the appended
//! signals are handed, in commit order, to `on_commit` (which offers them to their lanes
//! without waiting). A lane that finishes a signal deletes its item; with the row's last
//! item the admission budget gets the row's bytes back, and the row stays as history (or
//! goes, with the history off). Whatever lane items are left at start-up are each lane's
//! backlog.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::admission::Admission;
use super::history::Retention;
use crate::signal::Signal;
use crate::telemetry::{AttemptLog, AttemptRecord};

/// Why the log failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signal store: {0}")]
pub struct LogError(pub String);

pub(super) fn log_error(e: impl std::fmt::Display) -> LogError {
    LogError(e.to_string())
}

/// A signal to store, with the lanes it goes to.
#[derive(Debug, Clone)]
pub struct Routed {
    /// The signal.
    pub signal: Arc<Signal>,
    /// Store keys of its lanes (none: nothing to store).
    pub lanes: Vec<Arc<str>>,
    /// The bytes it counts for in the admission budget.
    pub bytes: usize,
}

/// A stored signal, committed, on its way to its lanes.
#[derive(Debug, Clone)]
pub struct Committed {
    /// Its row.
    pub seq: u64,
    /// The bus it was posted to.
    pub bus: String,
    /// The signal.
    pub signal: Arc<Signal>,
    /// Its lanes.
    pub lanes: Vec<Arc<str>>,
}

/// Called with every committed signal, in commit order, on the writer thread.
pub type OnCommit = Box<dyn Fn(Committed) + Send>;

pub(super) enum Command {
    Append {
        bus: String,
        signals: Vec<Routed>,
        reply: oneshot::Sender<Result<(), LogError>>,
    },
    Done(Arc<str>, u64),
    /// Gives a stored row (from a store without lanes) its lane items.
    Attach {
        seq: u64,
        lanes: Vec<Arc<str>>,
        reply: oneshot::Sender<Result<(), LogError>>,
    },
    /// Deletes every item of the lanes not in the list (`keep`) or of the lanes listed.
    Forget {
        lanes: Vec<Arc<str>>,
        keep: bool,
        reply: oneshot::Sender<Result<usize, LogError>>,
    },
    /// Records a delivery attempt in the history.
    Attempt(Box<AttemptRecord>),
    /// Commits what came before, then stops the writer (it holds the runtime through its
    /// commit callback, which holds this log: without an explicit end the two keep each
    /// other, and the process's Wasm engine, alive).
    Close(oneshot::Sender<()>),
}

/// Handle to the log's writer thread (cheap to clone).
#[derive(Debug, Clone)]
pub struct SignalLog {
    commands: std_mpsc::Sender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

/// What the store holds at start-up.
#[derive(Debug, Default)]
pub struct Opened {
    /// Stored signals and their bytes (counted into the admission budget).
    pub signals: usize,
    /// Their bytes.
    pub bytes: usize,
    /// Rows of an earlier version's store, which have no lanes yet: route and attach them.
    pub unrouted: Vec<Committed>,
}

impl SignalLog {
    /// Opens the store and starts its writer; committed signals go to `on_commit`, and
    /// every signal deleted gives its bytes back to `admission`.
    pub fn start(
        path: &Path,
        admission: Arc<Admission>,
        retention: Retention,
        on_commit: OnCommit,
    ) -> Result<(SignalLog, Opened), LogError> {
        let connection = super::log_schema::open(path)?;
        let history = super::history::open(&connection)?;
        let pending = super::log_schema::PENDING;
        let (signals, bytes, last_row): (i64, i64, i64) = connection
            .query_row(
                &format!(
                    "SELECT (SELECT count(*) FROM signals s WHERE {pending}),
                            (SELECT coalesce(sum(held), 0) FROM signals s WHERE {pending}),
                            (SELECT coalesce(max(row), 0) FROM signals)"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(log_error)?;
        let opened = Opened {
            signals: usize::try_from(signals).unwrap_or(0),
            bytes: usize::try_from(bytes).unwrap_or(0),
            unrouted: unrouted(&connection)?,
        };
        let (commands, receiver) = std_mpsc::channel();
        let (alive, writer_gone) = std_mpsc::channel::<()>();
        let checkpoints = Connection::open(path).map_err(log_error)?;
        std::thread::Builder::new()
            .name("jido-signal-log".to_owned())
            .spawn(move || {
                let _alive = alive;
                let history = super::log_write::History { retention, held: history };
                let store = super::log_write::Writer::new(connection, admission, history, last_row);
                store.run(receiver, on_commit);
            })
            .map_err(log_error)?;
        std::thread::Builder::new()
            .name("jido-checkpoint".to_owned())
            .spawn(move || super::wal_checkpoint::run(&checkpoints, &writer_gone))
            .map_err(log_error)?;
        Ok((SignalLog { commands }, opened))
    }

    /// Appends `signals` for `bus` with their lane items; returns once committed.
    pub async fn append(&self, bus: &str, signals: Vec<Routed>) -> Result<(), LogError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Append { bus: bus.to_owned(), signals, reply })
            .map_err(|_| LogError("the store is closed".to_owned()))?;
        answer.await.map_err(|_| LogError("the store writer stopped".to_owned()))?
    }

    /// `lane` has finished row `seq`.
    pub fn done(&self, lane: Arc<str>, seq: u64) {
        // After shutdown the item simply stays, and is delivered again at the next start.
        let _ = self.commands.send(Command::Done(lane, seq));
    }

    /// Deletes the backlog of every lane not in `lanes` (`keep`), or of the lanes listed;
    /// an entry ending in `#` names every lane whose key starts with it. Returns how many
    /// lane items went.
    pub async fn forget(&self, lanes: Vec<Arc<str>>, keep: bool) -> Result<usize, LogError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Forget { lanes, keep, reply })
            .map_err(|_| LogError("the store is closed".to_owned()))?;
        answer.await.map_err(|_| LogError("the store writer stopped".to_owned()))?
    }

    /// Gives row `seq` (stored by a version without lanes) its lane items; a row that goes
    /// to no lane is done (history, or deleted with the history off).
    pub async fn attach(&self, seq: u64, lanes: Vec<Arc<str>>) -> Result<(), LogError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Attach { seq, lanes, reply })
            .map_err(|_| LogError("the store is closed".to_owned()))?;
        answer.await.map_err(|_| LogError("the store writer stopped".to_owned()))?
    }

    /// Commits everything sent so far and stops the writer; later commands are refused
    /// (`done` is dropped: its item is delivered again at the next start).
    pub async fn close(&self) {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Close(reply)).is_ok() {
            let _ = answer.await;
        }
    }
}

impl AttemptLog for SignalLog {
    fn record(&self, record: AttemptRecord) {
        // After shutdown the record is dropped with the writer.
        let _ = self.commands.send(Command::Attempt(Box::new(record)));
    }
}

/// Rows not routed yet (from a store written before lanes).
fn unrouted(connection: &Connection) -> Result<Vec<Committed>, LogError> {
    let mut statement = connection
        .prepare("SELECT row, bus, signal FROM signals WHERE lanes < 0 ORDER BY row")
        .map_err(log_error)?;
    let rows = statement
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))
        .map_err(log_error)?;
    let mut found = Vec::new();
    for row in rows {
        let (seq, bus, text) = row.map_err(log_error)?;
        let signal = Signal::from_json(&text).map_err(|e| LogError(format!("row {seq}: {e}")))?;
        let seq = u64::try_from(seq).unwrap_or(0);
        found.push(Committed { seq, bus, signal: Arc::new(signal), lanes: Vec::new() });
    }
    Ok(found)
}
