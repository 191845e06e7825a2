//! The store's WAL checkpointer: a thread with its own connection that copies the WAL into
//! the database and starts the WAL over, without ever making the writer wait on a reader.
//!
//! The writer's automatic checkpoints are off (with a large backlog in the store, one could
//! hold a commit, and every request in it, for 100+ ms). Every [`CHECKPOINT_EVERY`] this
//! thread runs a `PASSIVE` checkpoint, which takes no lock the writer waits for. Under steady
//! writes the WAL is never fully copied at a moment the writer starts, so SQLite never starts
//! it over by itself and it would grow without bound (176 MiB for 40,000 signals in the
//! retention soak). Past [`WAL_FRAMES_LIMIT`] the thread therefore tries a `RESTART` that
//! does not wait (busy timeout 0): it takes the write lock only when the writer is between
//! commits, copies the few frames the `PASSIVE` one left, and gives up at once if a reader
//! still reads from the WAL. A failed try is repeated after [`RESTART_RETRY`], doubling up to
//! [`CHECKPOINT_EVERY`]; once one succeeds the next commit writes the WAL from its start. The
//! file keeps its size (at most `journal_size_limit`), so commits overwrite blocks the file
//! system already has. Only past [`WAL_FRAMES_HARD_LIMIT`], if every try failed, does a
//! restart wait (at most [`HARD_RESTART_WAIT`]) so that the WAL stays bounded.
//!
//! Measured (BENCHMARKS.md, "Durable ingress latency: the WAL checkpoint" and "The WAL restart
//! that waited for readers"): a `TRUNCATE` of 64 MiB every ~2 s at 1,000 signals/s held every
//! request ~38 ms; a `RESTART` that waited in SQLite's busy handler (5 s by default) held the
//! write lock, and so every commit, for up to ~950 ms at 5,000 signals/s while a reader
//! finished; restarts that never wait held it for at most ~6 ms.

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};

/// How often the checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The first pause before trying again to restart a WAL past [`WAL_FRAMES_LIMIT`] when the
/// writer or a reader was in the way (doubled on each failure up to [`CHECKPOINT_EVERY`]).
const RESTART_RETRY: Duration = Duration::from_millis(5);

/// WAL frames (pages of 4 KiB: 8 MiB) past which the checkpointer restarts the WAL.
const WAL_FRAMES_LIMIT: i64 = 2_048;

/// WAL frames (256 MiB) past which a restart waits for the writer and the readers.
const WAL_FRAMES_HARD_LIMIT: i64 = 65_536;

/// How long a restart past [`WAL_FRAMES_HARD_LIMIT`] may wait for the writer and readers.
const HARD_RESTART_WAIT: Duration = Duration::from_secs(1);

/// Runs the checkpointer on `connection` until `writer_gone` says the writer has stopped.
pub(super) fn run(connection: &Connection, writer_gone: &std_mpsc::Receiver<()>) {
    let (mut retry, mut last_passive) = (None::<Duration>, Instant::now());
    while let Err(std_mpsc::RecvTimeoutError::Timeout) =
        writer_gone.recv_timeout(retry.unwrap_or(CHECKPOINT_EVERY))
    {
        let outcome = match retry {
            Some(_) if last_passive.elapsed() < CHECKPOINT_EVERY => restart_wal(connection, Duration::ZERO),
            _ => {
                last_passive = Instant::now();
                checkpoint(connection)
            }
        };
        retry = match outcome {
            Ok(true) => None,
            Ok(false) => Some(retry.map_or(RESTART_RETRY, |pause| (pause * 2).min(CHECKPOINT_EVERY))),
            Err(error) => {
                tracing::warn!(%error, "WAL checkpoint failed; retrying");
                None
            }
        };
    }
}

/// A `PASSIVE` checkpoint, then a restart if the WAL has grown past its limit; whether the
/// WAL is where it should be (false: a restart is due and did not happen).
fn checkpoint(connection: &Connection) -> rusqlite::Result<bool> {
    let frames = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))?;
    match frames {
        frames if frames > WAL_FRAMES_HARD_LIMIT => restart_wal(connection, HARD_RESTART_WAIT),
        frames if frames > WAL_FRAMES_LIMIT => restart_wal(connection, Duration::ZERO),
        _ => Ok(true),
    }
}

/// A `RESTART` checkpoint that waits at most `wait` for the writer and the WAL's readers;
/// whether it restarted the WAL.
fn restart_wal(connection: &Connection, wait: Duration) -> rusqlite::Result<bool> {
    connection.busy_timeout(wait)?;
    match connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)) {
        Ok(busy) => Ok(busy == 0),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::DatabaseBusy => Ok(false),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(path: &std::path::Path) -> Connection {
        let connection = Connection::open(path).expect("open");
        connection.busy_timeout(Duration::ZERO).expect("busy timeout");
        connection
    }

    fn wal_frames(connection: &Connection) -> i64 {
        connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1)).expect("frames")
    }

    #[test]
    fn a_restart_gives_up_on_a_reader_without_holding_the_writer_and_succeeds_after_it() {
        let dir = crate::daemon::test_support::TestDir::new("wal-restart");
        let path = dir.join("store.sqlite");
        let writer = open(&path);
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t(v BLOB); INSERT INTO t VALUES (zeroblob(100000));",
            )
            .expect("schema");
        let (reader, checkpointer) = (open(&path), open(&path));
        reader.execute_batch("BEGIN; SELECT count(*) FROM t;").expect("a reader on the WAL");
        writer
            .execute("INSERT INTO t VALUES (zeroblob(100000))", [])
            .expect("a write after the reader's snapshot");

        assert!(!restart_wal(&checkpointer, Duration::ZERO).expect("restart"), "a reader still uses the WAL");
        writer.execute("INSERT INTO t VALUES (1)", []).expect("the writer is not held (busy timeout 0)");
        let frames_before = wal_frames(&checkpointer);

        reader.execute_batch("COMMIT").expect("the reader ends");
        assert!(restart_wal(&checkpointer, Duration::ZERO).expect("restart"), "nothing in the way");
        writer.execute("INSERT INTO t VALUES (2)", []).expect("write");
        let frames_after = wal_frames(&checkpointer);
        assert!(
            frames_after < frames_before,
            "the WAL started over: {frames_after} frames after, {frames_before} before"
        );
    }
}
