//! Bulk actions as jobs, kept in the store: what a job does ([`JobSpec`]), how far it got
//! (a keyset cursor checkpointed after every page) and how it ended.
//!
//! ```text
//! jobs(id, spec, state, cursor, total, processed, succeeded, failed, skipped,
//!      created_ms, updated_ms, error, resumed)
//! ```
//!
//! A job whose state is `running` when the daemon starts is resumed from its cursor: the
//! page it was on when the process died is done again (at least once; a redriven letter
//! is gone, so redrive skips it).

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use time::format_description::well_known::Rfc3339;

use super::history::unix_ms;
use super::history_read::rfc3339;
use super::log::{LogError, log_error};
use crate::dead_letter::DeadLetter;
use crate::target::TargetSpec;

/// Which dead letters a redrive takes; every field is optional (ANDed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LetterFilter {
    /// The adapter's name, the target's URL, or its origin (`https://host:port`, the label
    /// attempts show).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The final error's code (`http_503`, `time_limit`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Where the delivery came from (`bus/default/3`, `dispatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Failed at or after (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
    /// Failed before (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

impl LetterFilter {
    /// Whether `letter` is one the filter takes.
    pub fn matches(&self, letter: &DeadLetter) -> bool {
        let failed_ms = time::OffsetDateTime::parse(&letter.failed_at, &Rfc3339)
            .map(|at| i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
            .unwrap_or(0);
        self.target.as_ref().is_none_or(|t| target_matches(&letter.target, t))
            && self.code.as_ref().is_none_or(|c| letter.error.failure().code.as_ref() == Some(c))
            && self.origin.as_ref().is_none_or(|o| &letter.origin == o)
            && self.since_ms.is_none_or(|since| failed_ms >= since)
            && self.until_ms.is_none_or(|until| failed_ms < until)
    }
}

/// Whether `wanted` names `target`: its adapter, one of its URLs, or one of their origins.
fn target_matches(target: &TargetSpec, wanted: &str) -> bool {
    if target.adapter == wanted {
        return true;
    }
    let urls = target
        .options
        .get("url")
        .into_iter()
        .chain(target.options.get("urls").and_then(Value::as_array).into_iter().flatten());
    urls.filter_map(Value::as_str).any(|url| {
        url == wanted || url::Url::parse(url).is_ok_and(|u| u.origin().ascii_serialization() == wanted)
    })
}

/// Which retained signals a replay takes; every field is optional (ANDed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignalFilter {
    /// The signal type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    /// The signal source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The bus it was accepted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    /// Accepted at or after (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
    /// Accepted before (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

/// What a job does. The upper bound is fixed when the job is made, so letters and signals
/// that appear while it runs (a redrive that fails again, new traffic) are not taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum JobSpec {
    /// Redrive matching dead letters to their original targets.
    Redrive {
        /// Which letters.
        filter: LetterFilter,
        /// The largest letter id taken.
        last_id: u64,
    },
    /// Deliver matching retained signals to one target.
    Replay {
        /// Which signals.
        filter: SignalFilter,
        /// The target (adapter and options; secrets as given, shown redacted).
        target: Value,
        /// The largest history row taken.
        last_row: i64,
    },
}

/// How a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobState {
    Running,
    Done,
    Cancelled,
    Failed,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Cancelled => "cancelled",
            JobState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> JobState {
        match text {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Failed,
        }
    }
}

/// Counts a job reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// Keyset cursor: everything up to here is done.
    pub cursor: i64,
    /// Items the job will look at (`None` until counted).
    pub total: Option<u64>,
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Items already gone (a letter redriven before a crash, or removed meanwhile).
    pub skipped: u64,
}

/// One job as stored.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub id: i64,
    pub spec: JobSpec,
    pub state: JobState,
    pub progress: Progress,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub error: Option<String>,
    /// How many times a restart resumed it.
    pub resumed: u32,
}

impl Job {
    /// The job as the admin API shows it; `redact` turns a target into its shown form.
    pub fn to_json(&self, redact: impl Fn(&Value) -> Value) -> Value {
        let p = &self.progress;
        let (kind, filter, target) = match &self.spec {
            JobSpec::Redrive { filter, .. } => ("redrive", json!(filter), Value::Null),
            JobSpec::Replay { filter, target, .. } => ("replay", json!(filter), redact(target)),
        };
        json!({
            "id": self.id, "kind": kind, "state": self.state.name(), "filter": filter,
            "target": target, "total": p.total, "processed": p.processed, "succeeded": p.succeeded,
            "failed": p.failed, "skipped": p.skipped, "created_at": rfc3339(self.created_ms),
            "updated_at": rfc3339(self.updated_ms), "error": self.error, "resumed": self.resumed,
        })
    }
}

/// The `jobs` table.
#[derive(Debug)]
pub(super) struct JobStore {
    connection: Mutex<Connection>,
}

const COLUMNS: &str = "id, spec, state, cursor, total, processed, succeeded, failed, skipped, created_ms, updated_ms, error, resumed";

impl JobStore {
    /// Opens (and creates) the table in `path`'s SQLite file.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let connection = Connection::open(path).map_err(log_error)?;
        connection
            .execute_batch(
                "PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS jobs (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     spec TEXT NOT NULL,
                     state TEXT NOT NULL,
                     cursor INTEGER NOT NULL DEFAULT 0,
                     total INTEGER,
                     processed INTEGER NOT NULL DEFAULT 0,
                     succeeded INTEGER NOT NULL DEFAULT 0,
                     failed INTEGER NOT NULL DEFAULT 0,
                     skipped INTEGER NOT NULL DEFAULT 0,
                     created_ms INTEGER NOT NULL,
                     updated_ms INTEGER NOT NULL,
                     error TEXT,
                     resumed INTEGER NOT NULL DEFAULT 0
                 );",
            )
            .map_err(log_error)?;
        Ok(JobStore { connection: Mutex::new(connection) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, LogError> {
        f(&self.connection.lock().unwrap_or_else(PoisonError::into_inner)).map_err(log_error)
    }

    /// Stores a new running job; returns it.
    pub fn create(&self, spec: JobSpec) -> Result<Job, LogError> {
        let text = serde_json::to_string(&spec).map_err(log_error)?;
        let now = unix_ms(std::time::SystemTime::now());
        let id = self.with(|c| {
            c.execute(
                "INSERT INTO jobs (spec, state, created_ms, updated_ms) VALUES (?1, 'running', ?2, ?2)",
                params![text, now],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        self.get(id)?.ok_or_else(|| LogError(format!("job {id} vanished")))
    }

    /// Job `id`.
    pub fn get(&self, id: i64) -> Result<Option<Job>, LogError> {
        let row = self.with(|c| {
            c.query_row(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), [id], read).optional()
        })?;
        row.map(decode).transpose()
    }

    /// Jobs, newest first: up to `limit` below id `before`.
    pub fn page(&self, before: Option<i64>, limit: usize) -> Result<Vec<Job>, LogError> {
        let rows = self.with(|c| {
            let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
            let mut statement = c.prepare(&sql)?;
            let rows = statement.query_map(params![before.unwrap_or(i64::MAX), limit as i64], read)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(decode).collect()
    }

    /// The jobs a restart resumes; each one's `resumed` count goes up.
    pub fn resume_running(&self) -> Result<Vec<Job>, LogError> {
        self.with(|c| c.execute("UPDATE jobs SET resumed = resumed + 1 WHERE state = 'running'", []))?;
        let ids: Vec<i64> = self.with(|c| {
            let mut statement = c.prepare("SELECT id FROM jobs WHERE state = 'running' ORDER BY id")?;
            let ids = statement.query_map([], |r| r.get(0))?;
            ids.collect()
        })?;
        ids.into_iter().filter_map(|id| self.get(id).transpose()).collect()
    }

    /// Checkpoints progress (the state stays: a cancel made meanwhile wins).
    pub fn checkpoint(&self, id: i64, p: &Progress) -> Result<(), LogError> {
        let now = unix_ms(std::time::SystemTime::now());
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET cursor = ?2, total = ?3, processed = ?4, succeeded = ?5, failed = ?6,
                 skipped = ?7, updated_ms = ?8 WHERE id = ?1",
                params![
                    id,
                    p.cursor,
                    p.total.map(|t| t as i64),
                    p.processed as i64,
                    p.succeeded as i64,
                    p.failed as i64,
                    p.skipped as i64,
                    now
                ],
            )
        })?;
        Ok(())
    }

    /// Ends a running job; returns whether it was running.
    pub fn finish(&self, id: i64, state: JobState, error: Option<&str>) -> Result<bool, LogError> {
        let now = unix_ms(std::time::SystemTime::now());
        let changed = self.with(|c| {
            c.execute(
                "UPDATE jobs SET state = ?2, error = ?3, updated_ms = ?4 WHERE id = ?1 AND state = 'running'",
                params![id, state.name(), error, now],
            )
        })?;
        Ok(changed > 0)
    }
}

type Row = (i64, String, String, i64, Option<i64>, i64, i64, i64, i64, i64, i64, Option<String>, i64);

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
    ))
}

fn decode(row: Row) -> Result<Job, LogError> {
    let (
        id,
        spec,
        state,
        cursor,
        total,
        processed,
        succeeded,
        failed,
        skipped,
        created,
        updated,
        error,
        resumed,
    ) = row;
    let spec = serde_json::from_str(&spec).map_err(|e| LogError(format!("job {id}: {e}")))?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(Job {
        id,
        spec,
        state: JobState::parse(&state),
        progress: Progress {
            cursor,
            total: total.map(count),
            processed: count(processed),
            succeeded: count(succeeded),
            failed: count(failed),
            skipped: count(skipped),
        },
        created_ms: created,
        updated_ms: updated,
        error,
        resumed: u32::try_from(resumed).unwrap_or(u32::MAX),
    })
}
