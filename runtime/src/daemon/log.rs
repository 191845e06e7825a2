//! The durable log of accepted signals: a SQLite table written by one thread with group
//! commit.
//!
//! Ingress appends a batch and gets its answer only after the transaction holding it has
//! committed (WAL, `synchronous = FULL`: the commit is on disk). Every command that queued
//! up while one transaction ran goes into the next one, so concurrent requests share a
//! commit. After each commit the appended signals go, in commit order, to the pump that
//! publishes them; when every target has finished with a signal its row is deleted (again
//! in the next transaction). Rows still present at start-up are delivered again: at least
//! once, never lost.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use rusqlite::{Connection, params};
use tokio::sync::{mpsc, oneshot};

use crate::signal::Signal;

/// Why the log failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signal store: {0}")]
pub struct LogError(pub String);

fn log_error(e: impl std::fmt::Display) -> LogError {
    LogError(e.to_string())
}

/// An accepted signal on its way to a bus.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Its row in the log.
    pub seq: u64,
    /// The bus it was posted to.
    pub bus: String,
    /// The signal.
    pub signal: Arc<Signal>,
}

enum Command {
    Append { bus: String, signals: Vec<Arc<Signal>>, reply: oneshot::Sender<Result<(), LogError>> },
    Done(u64),
    Flush(oneshot::Sender<()>),
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

/// Opens the log table in `path`'s SQLite file.
fn open(path: &Path) -> Result<Connection, LogError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| LogError(format!("cannot create {}: {e}", dir.display())))?;
    }
    let connection =
        Connection::open(path).map_err(|e| LogError(format!("cannot open {}: {e}", path.display())))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS accepted_signals (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 bus TEXT NOT NULL,
                 signal TEXT NOT NULL
             );",
        )
        .map_err(log_error)?;
    Ok(connection)
}

impl SignalLog {
    /// Opens the log and starts its writer; returns what an earlier run left undelivered,
    /// oldest first. Appended signals are sent to `pump` after their commit.
    pub fn start(
        path: &Path,
        pump: mpsc::UnboundedSender<Pending>,
    ) -> Result<(SignalLog, Vec<Pending>), LogError> {
        let connection = open(path)?;
        let leftover = {
            let mut statement = connection
                .prepare("SELECT seq, bus, signal FROM accepted_signals ORDER BY seq")
                .map_err(log_error)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
                })
                .map_err(log_error)?;
            let mut leftover = Vec::new();
            for row in rows {
                let (seq, bus, text) = row.map_err(log_error)?;
                let signal = Signal::from_json(&text).map_err(|e| LogError(format!("row {seq}: {e}")))?;
                leftover.push(Pending {
                    seq: u64::try_from(seq).unwrap_or(0),
                    bus,
                    signal: Arc::new(signal),
                });
            }
            leftover
        };
        let (commands, receiver) = std_mpsc::channel();
        std::thread::Builder::new()
            .name("jido-signal-log".to_owned())
            .spawn(move || writer(connection, receiver, pump))
            .map_err(log_error)?;
        Ok((SignalLog { commands }, leftover))
    }

    /// Appends `signals` for `bus`; returns once they are committed.
    pub async fn append(&self, bus: &str, signals: Vec<Arc<Signal>>) -> Result<(), LogError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Append { bus: bus.to_owned(), signals, reply })
            .map_err(|_| LogError("the store is closed".to_owned()))?;
        answer.await.map_err(|_| LogError("the store writer stopped".to_owned()))?
    }

    /// Every target has finished with row `seq`: delete it.
    pub fn done(&self, seq: u64) {
        // After shutdown the row simply stays, and is delivered again at the next start.
        let _ = self.commands.send(Command::Done(seq));
    }

    /// Waits until everything sent so far is committed.
    pub async fn flush(&self) {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Flush(reply)).is_ok() {
            let _ = answer.await;
        }
    }
}

/// Largest number of commands folded into one transaction.
const GROUP: usize = 4096;

fn writer(
    mut connection: Connection,
    commands: std_mpsc::Receiver<Command>,
    pump: mpsc::UnboundedSender<Pending>,
) {
    while let Ok(first) = commands.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match commands.try_recv() {
                Ok(command) => group.push(command),
                Err(_) => break,
            }
        }
        let mut appended: Vec<Vec<Pending>> = Vec::new();
        let outcome = write_group(&mut connection, &group, &mut appended);
        let mut appended = appended.into_iter();
        for command in group {
            match command {
                Command::Append { reply, .. } => {
                    if outcome.is_ok() {
                        for pending in appended.next().unwrap_or_default() {
                            let _ = pump.send(pending);
                        }
                    }
                    let _ = reply.send(outcome.clone());
                }
                Command::Flush(reply) => {
                    let _ = reply.send(());
                }
                Command::Done(_) => {}
            }
        }
        if let Err(error) = outcome {
            tracing::error!(%error, "the signal store could not commit");
        }
    }
}

fn write_group(
    connection: &mut Connection,
    group: &[Command],
    appended: &mut Vec<Vec<Pending>>,
) -> Result<(), LogError> {
    let transaction = connection.transaction().map_err(log_error)?;
    {
        let mut insert = transaction
            .prepare_cached("INSERT INTO accepted_signals (bus, signal) VALUES (?1, ?2)")
            .map_err(log_error)?;
        let mut delete =
            transaction.prepare_cached("DELETE FROM accepted_signals WHERE seq = ?1").map_err(log_error)?;
        for command in group {
            match command {
                Command::Append { bus, signals, .. } => {
                    let mut rows = Vec::with_capacity(signals.len());
                    for signal in signals {
                        insert.execute(params![bus, signal.to_json()]).map_err(log_error)?;
                        let seq = u64::try_from(transaction.last_insert_rowid()).unwrap_or(0);
                        rows.push(Pending { seq, bus: bus.clone(), signal: signal.clone() });
                    }
                    appended.push(rows);
                }
                Command::Done(seq) => {
                    delete.execute(params![i64::try_from(*seq).unwrap_or(i64::MAX)]).map_err(log_error)?;
                }
                Command::Flush(_) => {}
            }
        }
    }
    transaction.commit().map_err(log_error)
}
