//! Running the jobs of [`jobs`](super::jobs): one task per running job, a page at a time,
//! the cursor checkpointed after each page; cancelled between deliveries.
//!
//! Redrive goes through [`Runtime::redrive`] (the letter's own target, removed on
//! success); replay through [`Runtime::dispatch_from`] (a final failure becomes a dead
//! letter whose origin is `job/<id>`). Both are the runtime's one delivery path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt as _;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};
use tokio::task::JoinHandle;

use super::history_read::{HistoryReader, Where};
use super::jobs::{Job, JobSpec, JobState, JobStore, LetterFilter, Progress, SignalFilter};
use super::log::{LogError, log_error};
use crate::signal::Signal;
use crate::target::TargetSpec;
use crate::{RedriveError, Runtime};

/// Items a job reads per page (and checkpoints after).
const PAGE: usize = 50;

/// Deliveries a job runs at once.
const CONCURRENCY: usize = 8;

/// The running jobs and what they need.
#[derive(Debug)]
pub(super) struct Jobs {
    pub store: JobStore,
    runtime: Runtime,
    history: HistoryReader,
    running: Mutex<HashMap<i64, Running>>,
}

/// A running job's cancel flag and task.
type Running = (Arc<AtomicBool>, JoinHandle<()>);

impl Jobs {
    pub fn new(store: JobStore, runtime: Runtime, history: HistoryReader) -> Arc<Jobs> {
        Arc::new(Jobs { store, runtime, history, running: Mutex::default() })
    }

    /// Starts running `job` (new, or resumed after a restart).
    pub fn start(self: &Arc<Self>, job: Job) {
        let cancelled = Arc::new(AtomicBool::new(false));
        let id = job.id;
        let task = tokio::spawn(run(self.clone(), job, cancelled.clone()));
        self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (cancelled, task));
    }

    /// Resumes every job a stop interrupted.
    pub fn resume(self: &Arc<Self>) -> Result<usize, LogError> {
        let running = self.store.resume_running()?;
        let count = running.len();
        for job in running {
            tracing::info!(job = job.id, cursor = job.progress.cursor, "resuming a job");
            self.start(job);
        }
        Ok(count)
    }

    /// Cancels job `id`: `Ok(None)` when there is no such job, `Ok(Some(false))` when it
    /// had already ended. Deliveries in flight finish; no new one starts.
    pub fn cancel(&self, id: i64) -> Result<Option<bool>, LogError> {
        if self.store.get(id)?.is_none() {
            return Ok(None);
        }
        let changed = self.store.finish(id, JobState::Cancelled, None)?;
        if let Some((flag, _)) = self.running.lock().unwrap_or_else(PoisonError::into_inner).get(&id) {
            flag.store(true, Ordering::Relaxed);
        }
        Ok(Some(changed))
    }

    /// Stops every job task (daemon shutdown); they stay `running` in the store and resume
    /// at the next start.
    pub fn stop_all(&self) {
        for (_, (_, task)) in self.running.lock().unwrap_or_else(PoisonError::into_inner).drain() {
            task.abort();
        }
    }
}

async fn run(jobs: Arc<Jobs>, job: Job, cancelled: Arc<AtomicBool>) {
    let outcome = match &job.spec {
        JobSpec::Redrive { filter, last_id } => {
            redrive(&jobs, job.id, filter, *last_id, job.progress, &cancelled).await
        }
        JobSpec::Replay { filter, target, last_row } => {
            replay(&jobs, job.id, filter, target, *last_row, job.progress, &cancelled).await
        }
    };
    let ended = match &outcome {
        Ok(p) => {
            let mut p = *p;
            // Items gone before the job reached them (redriven before a crash, removed or
            // expired meanwhile) count as skipped, so a finished job accounts for its total.
            let left = p.total.unwrap_or(0).saturating_sub(p.processed);
            if left > 0 && !cancelled.load(Ordering::Relaxed) {
                p.skipped += left;
                p.processed += left;
                if let Err(e) = jobs.store.checkpoint(job.id, &p) {
                    tracing::error!(job = job.id, "cannot record the job's last counts: {e}");
                }
            }
            jobs.store.finish(job.id, JobState::Done, None)
        }
        Err(message) => jobs.store.finish(job.id, JobState::Failed, Some(message)),
    };
    match ended {
        Ok(true) => tracing::info!(job = job.id, outcome = ?outcome.map(|p| p.processed), "job ended"),
        Ok(false) => tracing::info!(job = job.id, "job cancelled"),
        Err(e) => tracing::error!(job = job.id, "cannot record the end of the job: {e}"),
    }
    jobs.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&job.id);
}

/// Counts one delivery's outcome.
fn count(p: &mut Progress, outcome: Option<Result<(), bool>>) {
    match outcome {
        None => return,
        Some(Ok(())) => p.succeeded += 1,
        Some(Err(true)) => p.skipped += 1,
        Some(Err(false)) => p.failed += 1,
    }
    p.processed += 1;
}

async fn redrive(
    jobs: &Jobs,
    id: i64,
    filter: &LetterFilter,
    last_id: u64,
    mut p: Progress,
    cancelled: &AtomicBool,
) -> Result<Progress, String> {
    let letters = jobs.runtime.dead_letters().clone();
    let page_of = |after: u64| {
        let letters = letters.clone();
        async move {
            tokio::task::spawn_blocking(move || letters.page(after, PAGE))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
        }
    };
    if p.total.is_none() {
        let (mut total, mut after) = (0, u64::try_from(p.cursor).unwrap_or(0));
        loop {
            let page: Vec<_> = page_of(after).await?.into_iter().filter(|l| l.id <= last_id).collect();
            let Some(last) = page.last() else { break };
            after = last.id;
            total += page.iter().filter(|l| filter.matches(l)).count() as u64;
        }
        p.total = Some(total);
        jobs.store.checkpoint(id, &p).map_err(|e| e.to_string())?;
    }
    while !cancelled.load(Ordering::Relaxed) {
        let after = u64::try_from(p.cursor).unwrap_or(0);
        let page: Vec<_> = page_of(after).await?.into_iter().filter(|l| l.id <= last_id).collect();
        let Some(last) = page.last() else { return Ok(p) };
        let next = last.id;
        let wanted = page.into_iter().filter(|l| filter.matches(l)).map(|l| l.id);
        let outcomes: Vec<_> = futures::stream::iter(wanted)
            .map(|letter| async move {
                if cancelled.load(Ordering::Relaxed) {
                    return None;
                }
                Some(match jobs.runtime.redrive(letter).await {
                    Ok(()) => Ok(()),
                    Err(RedriveError::NotFound(_)) => Err(true),
                    Err(e) => {
                        tracing::debug!(job = id, letter, "redrive failed: {e}");
                        Err(false)
                    }
                })
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        outcomes.into_iter().for_each(|o| count(&mut p, o));
        p.cursor = i64::try_from(next).unwrap_or(i64::MAX);
        jobs.store.checkpoint(id, &p).map_err(|e| e.to_string())?;
    }
    Ok(p)
}

async fn replay(
    jobs: &Jobs,
    id: i64,
    filter: &SignalFilter,
    target: &serde_json::Value,
    last_row: i64,
    mut p: Progress,
    cancelled: &AtomicBool,
) -> Result<Progress, String> {
    let spec = TargetSpec::from_value(target.clone()).map_err(|e| format!("target: {e}"))?;
    let target = jobs.runtime.open_target(&spec).await.map_err(|e| format!("target: {e}"))?;
    let origin = format!("job/{id}");
    if !jobs.history.enabled() {
        // Without a history the store holds only the lanes' backlog: nothing to replay.
        p.total = Some(0);
        return Ok(p);
    }
    if p.total.is_none() {
        let (filter, cursor) = (filter.clone(), p.cursor);
        let total = jobs.history.run(move |c| count_signals(c, &filter, cursor, last_row)).await;
        p.total = Some(total.map_err(|e| e.to_string())?);
        jobs.store.checkpoint(id, &p).map_err(|e| e.to_string())?;
    }
    while !cancelled.load(Ordering::Relaxed) {
        let (wanted, cursor) = (filter.clone(), p.cursor);
        let page = jobs.history.run(move |c| signal_page(c, &wanted, cursor, last_row)).await;
        let page = page.map_err(|e| e.to_string())?;
        let Some((next, _)) = page.last() else { return Ok(p) };
        let next = *next;
        let (target, origin) = (&target, &origin);
        let outcomes: Vec<_> = futures::stream::iter(page)
            .map(|(row, text)| async move {
                if cancelled.load(Ordering::Relaxed) {
                    return None;
                }
                let Ok(signal) = Signal::from_json(&text) else {
                    tracing::warn!(job = id, row, "a retained signal no longer parses; skipped");
                    return Some(Err(true));
                };
                Some(jobs.runtime.dispatch_from(origin, &signal, target).await.map_err(|_| false))
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        outcomes.into_iter().for_each(|o| count(&mut p, o));
        p.cursor = next;
        jobs.store.checkpoint(id, &p).map_err(|e| e.to_string())?;
    }
    Ok(p)
}

/// The `WHERE` of a replay: the filter, rows after `cursor` up to `last_row`.
fn replay_where(filter: &SignalFilter, cursor: i64, last_row: i64) -> Where {
    let mut w = Where::default();
    w.bind("row > ?", Sql::Integer(cursor));
    w.bind("row <= ?", Sql::Integer(last_row));
    let text = [("type = ?", &filter.ty), ("source = ?", &filter.source), ("bus = ?", &filter.bus)];
    for (clause, value) in text {
        if let Some(value) = value {
            w.bind(clause, Sql::Text(value.clone()));
        }
    }
    if let Some(since) = filter.since_ms {
        w.bind("accepted_ms >= ?", Sql::Integer(since));
    }
    if let Some(until) = filter.until_ms {
        w.bind("accepted_ms < ?", Sql::Integer(until));
    }
    w
}

fn count_signals(c: &Connection, filter: &SignalFilter, cursor: i64, last_row: i64) -> Result<u64, LogError> {
    let w = replay_where(filter, cursor, last_row);
    let sql = format!("SELECT count(*) FROM signals {}", w.sql());
    let n: i64 = c.query_row(&sql, params_from_iter(w.args), |r| r.get(0)).map_err(log_error)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn signal_page(
    c: &Connection,
    filter: &SignalFilter,
    cursor: i64,
    last_row: i64,
) -> Result<Vec<(i64, String)>, LogError> {
    let w = replay_where(filter, cursor, last_row);
    let sql = format!("SELECT row, signal FROM signals {} ORDER BY row LIMIT {PAGE}", w.sql());
    let mut statement = c.prepare(&sql).map_err(log_error)?;
    let rows =
        statement.query_map(params_from_iter(w.args), |r| Ok((r.get(0)?, r.get(1)?))).map_err(log_error)?;
    rows.collect::<Result<_, _>>().map_err(log_error)
}

/// The newest history row (a replay's upper bound).
pub(super) fn last_history_row(c: &Connection) -> Result<i64, LogError> {
    c.query_row("SELECT coalesce(max(row), 0) FROM signals", [], |r| r.get(0)).map_err(log_error)
}
