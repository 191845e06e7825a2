//! Queries over the history (see [`history`](super::history)) for the admin API: pages of
//! signals and attempts, newest first, with filters, and one signal's lanes and timeline.
//!
//! Pages are cursor-based: a page's `next_cursor` is the last row it shows, and the next
//! page holds the rows below it, so rows written meanwhile never shift a page.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params_from_iter};
use serde_json::{Value, json};

use super::log::{LogError, log_error};

/// A read-only connection to the store, for admin queries (WAL: it never waits for the
/// writer).
#[derive(Debug, Clone)]
pub(super) struct HistoryReader {
    connection: Arc<Mutex<Connection>>,
    /// Whether the store keeps a history (`[store] attempt_log`). Without one, the signals
    /// table holds only the lanes' backlog, which the history API does not show.
    enabled: bool,
}

/// Filters of `GET /admin/signals` and `GET /admin/attempts`; every one is optional.
#[derive(Debug, Default, Clone)]
pub(super) struct Filter {
    pub ty: Option<String>,
    pub source: Option<String>,
    pub signal: Option<String>,
    pub target: Option<String>,
    pub subscription: Option<i64>,
    /// `ok`, `failed` (any failure), `pending` (signals: a lane still holds it), or a code.
    pub outcome: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Rows below this one.
    pub cursor: Option<i64>,
    pub limit: usize,
}

/// One page: its rows and the cursor of the next (`None`: the last page).
pub(super) type Page = (Vec<Value>, Option<i64>);

const SIGNAL_COLUMNS: &str = "h.row, h.row, h.id, h.source, h.type, h.subject, h.bus, h.accepted_ms,
     (SELECT count(*) FROM attempts a WHERE a.signal_id = h.id AND a.signal_source = h.source),
     (h.lanes < 0 OR EXISTS (SELECT 1 FROM lane_items i WHERE i.seq = h.row))";

const ATTEMPT_COLUMNS: &str =
    "row, at_ms, signal_id, signal_source, subscription, lane, target, adapter, attempt,
     duration_us, outcome, message, status, body";

impl HistoryReader {
    /// Opens `path` read-only, for a store that keeps a history (`enabled`) or not.
    pub fn open(path: &Path, enabled: bool) -> Result<Self, LogError> {
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| LogError(format!("cannot open {} to read: {e}", path.display())))?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(log_error)?;
        Ok(HistoryReader { connection: Arc::new(Mutex::new(connection)), enabled })
    }

    /// Whether the store keeps a history.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Runs `query` on a blocking thread.
    pub async fn run<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, LogError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || query(&connection.lock().unwrap_or_else(PoisonError::into_inner)))
            .await
            .map_err(|e| LogError(format!("history query: {e}")))?
    }
}

/// A page of signals, newest first.
pub(super) fn signals(connection: &Connection, filter: &Filter) -> Result<Page, LogError> {
    let mut w = Where::default();
    if let Some(ty) = &filter.ty {
        w.bind("h.type = ?", Sql::Text(ty.clone()));
    }
    if let Some(source) = &filter.source {
        w.bind("h.source = ?", Sql::Text(source.clone()));
    }
    if let Some(id) = &filter.signal {
        w.bind("h.id = ?", Sql::Text(id.clone()));
    }
    if let Some(since) = filter.since_ms {
        w.bind("h.accepted_ms >= ?", Sql::Integer(since));
    }
    if let Some(until) = filter.until_ms {
        w.bind("h.accepted_ms < ?", Sql::Integer(until));
    }
    if let Some(cursor) = filter.cursor {
        w.bind("h.row < ?", Sql::Integer(cursor));
    }
    let attempt =
        "EXISTS (SELECT 1 FROM attempts a WHERE a.signal_id = h.id AND a.signal_source = h.source AND";
    match filter.outcome.as_deref() {
        None => {}
        Some("pending") => w.raw("(h.lanes < 0 OR EXISTS (SELECT 1 FROM lane_items i WHERE i.seq = h.row))"),
        Some("failed") => w.raw(&format!("{attempt} a.outcome <> 'ok')")),
        Some(code) => w.bind(&format!("{attempt} a.outcome = ?)"), Sql::Text(code.to_owned())),
    }
    let sql = format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals h {} ORDER BY h.row DESC LIMIT {}",
        w.sql(),
        filter.limit
    );
    let mut statement = connection.prepare(&sql).map_err(log_error)?;
    let rows = statement
        .query_map(params_from_iter(w.args), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                json!({
                    "seq": r.get::<_, Option<i64>>(1)?,
                    "id": r.get::<_, String>(2)?,
                    "source": r.get::<_, String>(3)?,
                    "type": r.get::<_, String>(4)?,
                    "subject": r.get::<_, Option<String>>(5)?,
                    "bus": r.get::<_, String>(6)?,
                    "accepted_at": rfc3339(r.get(7)?),
                    "attempts": r.get::<_, i64>(8)?,
                    "pending": r.get::<_, bool>(9)?,
                }),
            ))
        })
        .map_err(log_error)?;
    page(rows, filter.limit)
}

/// A page of attempts, newest first.
pub(super) fn attempts(connection: &Connection, filter: &Filter) -> Result<Page, LogError> {
    let mut w = Where::default();
    if let Some(id) = &filter.signal {
        w.bind("signal_id = ?", Sql::Text(id.clone()));
    }
    if let Some(source) = &filter.source {
        w.bind("signal_source = ?", Sql::Text(source.clone()));
    }
    if let Some(target) = &filter.target {
        w.bind("target = ?", Sql::Text(target.clone()));
    }
    if let Some(subscription) = filter.subscription {
        w.bind("subscription = ?", Sql::Integer(subscription));
    }
    match filter.outcome.as_deref() {
        None => {}
        Some("failed") => w.raw("outcome <> 'ok'"),
        Some(code) => w.bind("outcome = ?", Sql::Text(code.to_owned())),
    }
    if let Some(since) = filter.since_ms {
        w.bind("at_ms >= ?", Sql::Integer(since));
    }
    if let Some(until) = filter.until_ms {
        w.bind("at_ms < ?", Sql::Integer(until));
    }
    if let Some(cursor) = filter.cursor {
        w.bind("row < ?", Sql::Integer(cursor));
    }
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts {} ORDER BY row DESC LIMIT {}",
        w.sql(),
        filter.limit
    );
    let mut statement = connection.prepare(&sql).map_err(log_error)?;
    let rows = statement.query_map(params_from_iter(w.args), attempt_row).map_err(log_error)?;
    page(rows, filter.limit)
}

/// The newest signal with `id` (and `source`, if given): the signal, its lanes still
/// pending and each lane's attempt timeline (oldest first).
pub(super) fn signal(
    connection: &Connection,
    id: &str,
    source: Option<&str>,
) -> Result<Option<Value>, LogError> {
    let found: Option<(Option<i64>, String, String, String, i64)> = connection
        .query_row(
            "SELECT row, source, bus, signal, accepted_ms FROM signals
             WHERE id = ?1 AND (?2 IS NULL OR source = ?2) ORDER BY row DESC LIMIT 1",
            rusqlite::params![id, source],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(log_error)?;
    let Some((seq, source, bus, text, accepted_ms)) = found else { return Ok(None) };
    let pending: Vec<String> = {
        let mut statement = connection
            .prepare("SELECT l.key FROM lane_items i JOIN lanes l ON l.id = i.lane WHERE i.seq = ?1 ORDER BY l.key")
            .map_err(log_error)?;
        let rows = statement.query_map([seq.unwrap_or(-1)], |r| r.get(0)).map_err(log_error)?;
        rows.collect::<Result<_, _>>().map_err(log_error)?
    };
    let mut statement = connection
        .prepare(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE signal_id = ?1 AND signal_source = ?2 ORDER BY row"
        ))
        .map_err(log_error)?;
    let rows = statement.query_map(rusqlite::params![id, source], attempt_row).map_err(log_error)?;
    let mut lanes: Vec<Value> = Vec::new();
    for row in rows {
        let (_, attempt) = row.map_err(log_error)?;
        let key = (attempt["subscription"].clone(), attempt["lane"].clone(), attempt["target"].clone());
        let found = lanes
            .iter_mut()
            .find(|l| (l["subscription"].clone(), l["lane"].clone(), l["target"].clone()) == key);
        let lane = match found {
            Some(lane) => lane,
            None => {
                lanes.push(json!({
                    "subscription": key.0, "lane": key.1, "target": key.2,
                    "adapter": attempt["adapter"], "attempts": [],
                }));
                let last = lanes.len() - 1;
                &mut lanes[last]
            }
        };
        lane["outcome"] = attempt["outcome"].clone();
        if let Some(timeline) = lane["attempts"].as_array_mut() {
            timeline.push(attempt);
        }
    }
    for lane in &mut lanes {
        let key = lane["lane"].as_str().map(str::to_owned);
        lane["pending"] = json!(key.is_some_and(|key| pending.contains(&key)));
    }
    let signal: Value = serde_json::from_str(&text).map_err(log_error)?;
    Ok(Some(json!({
        "seq": seq, "bus": bus, "accepted_at": rfc3339(accepted_ms),
        "signal": signal, "pending_lanes": pending, "lanes": lanes,
    })))
}

fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Value)> {
    Ok((
        r.get(0)?,
        json!({
            "at": rfc3339(r.get(1)?),
            "signal_id": r.get::<_, String>(2)?,
            "signal_source": r.get::<_, String>(3)?,
            "subscription": r.get::<_, Option<i64>>(4)?,
            "lane": r.get::<_, Option<String>>(5)?,
            "target": r.get::<_, String>(6)?,
            "adapter": r.get::<_, String>(7)?,
            "attempt": r.get::<_, i64>(8)?,
            "duration_ms": r.get::<_, i64>(9)? as f64 / 1000.0,
            "outcome": r.get::<_, String>(10)?,
            "message": r.get::<_, Option<String>>(11)?,
            "status": r.get::<_, Option<i64>>(12)?,
            "body": r.get::<_, Option<String>>(13)?,
        }),
    ))
}

/// A `WHERE` clause and its numbered parameters.
#[derive(Default)]
pub(super) struct Where {
    clauses: Vec<String>,
    pub args: Vec<Sql>,
}

impl Where {
    /// Adds `clause`, whose one `?` is bound to `value`.
    pub fn bind(&mut self, clause: &str, value: Sql) {
        self.args.push(value);
        self.clauses.push(clause.replace('?', &format!("?{}", self.args.len())));
    }

    pub fn raw(&mut self, clause: &str) {
        self.clauses.push(clause.to_owned());
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) }
    }
}

/// Collects a page; a full page has a next cursor (its last row).
fn page(rows: impl Iterator<Item = rusqlite::Result<(i64, Value)>>, limit: usize) -> Result<Page, LogError> {
    let mut items = Vec::new();
    let mut last = None;
    for row in rows {
        let (row, value) = row.map_err(log_error)?;
        last = Some(row);
        items.push(value);
    }
    let next = if items.len() >= limit { last } else { None };
    Ok((items, next))
}

/// Unix milliseconds as RFC 3339 (UTC).
pub(super) fn rfc3339(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
