//! The operator console: `GET /ui` (one embedded page, no external assets, so it works
//! offline), `GET /admin/stats` (the last hour from the history: deliveries and failures
//! per minute, p50/p99 attempt latency, backlog per lane) and `GET /admin/events` (the
//! same stats as server-sent events every two seconds).
//!
//! The page holds no data: it asks for the admin token and reads everything through the
//! admin API with it (the event stream too: it is read with `fetch`, which can send the
//! `Authorization` header that `EventSource` cannot).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension as _};
use serde_json::{Value, json};

use super::State;
use super::history::unix_ms;
use super::log::{LogError, log_error};
use super::server::error;

/// The page (HTML, CSS and script in one file).
const PAGE: &str = include_str!("console.html");

/// How often `/admin/events` sends the stats.
const EVERY: Duration = Duration::from_secs(2);

/// `GET /ui`.
pub(super) async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /admin/stats`.
pub(super) async fn stats(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    guard!(state, headers);
    match collect(&state).await {
        Ok(stats) => axum::Json(stats).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /admin/events`: `event: stats` every two seconds.
pub(super) async fn events(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    guard!(state, headers);
    let stream = futures::stream::unfold((state, true), |(state, first)| async move {
        if !first {
            tokio::time::sleep(EVERY).await;
        }
        let data = match collect(&state).await {
            Ok(stats) => stats,
            Err(e) => json!({ "error": e.to_string() }),
        };
        let event = Event::default().event("stats").data(data.to_string());
        Some((Ok::<_, Infallible>(event), (state, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// The stats the console shows.
async fn collect(state: &State) -> Result<Value, LogError> {
    let since = unix_ms(SystemTime::now()) - 3_600_000;
    let history = state.history.run(move |c| last_hour(c, since)).await?;
    let stored = state.history.run(lane_backlogs).await?;
    let mut lanes = Vec::new();
    for name in state.runtime.bus_names() {
        let bus = state.runtime.bus(&name);
        for info in bus.subscriptions() {
            let targets = bus.targets_of(info.id).unwrap_or_default();
            for (index, target) in targets.iter().enumerate() {
                let backlog = bus.lane_key(info.id, index).and_then(|key| stored.get(&*key).copied());
                lanes.push(json!({
                    "bus": name, "subscription": info.id.0, "path": info.path, "target": index,
                    "label": target.label(), "adapter": target.spec().adapter,
                    "backlog": backlog.unwrap_or(0),
                    "paused": info.paused.get(index).copied().flatten().map(super::subscriptions::reason_name),
                }));
            }
        }
    }
    let dead_letters = state.runtime.dead_letters().count().unwrap_or(0);
    Ok(json!({
        "pending": state.admission.pending(), "dead_letters": dead_letters,
        "lanes": lanes, "last_hour": history,
    }))
}

/// Signals each durable lane holds in the store (delivered ones leave it), by lane key: a
/// scan of the `(lane, seq)` key, so its cost grows with the total backlog (not measured
/// yet at millions of items).
fn lane_backlogs(c: &Connection) -> Result<std::collections::HashMap<String, i64>, LogError> {
    let mut statement = c
        .prepare("SELECT l.key, count(*) FROM lane_items i JOIN lanes l ON l.id = i.lane GROUP BY i.lane")
        .map_err(log_error)?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(log_error)?;
    rows.collect::<Result<_, _>>().map_err(log_error)
}

/// The first attempt row at or after `since`: a binary search over the primary key (rows
/// are written in time order), so the stats read only the last hour's rows.
fn first_row_since(c: &Connection, since: i64) -> Result<i64, LogError> {
    let (mut lo, mut hi): (i64, i64) = c
        .query_row("SELECT coalesce(min(row), 0), coalesce(max(row), 0) + 1 FROM attempts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(log_error)?;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at: Option<i64> = c
            .query_row("SELECT at_ms FROM attempts WHERE row >= ?1 ORDER BY row LIMIT 1", [mid], |r| r.get(0))
            .optional()
            .map_err(log_error)?;
        match at {
            Some(at) if at < since => lo = mid + 1,
            _ => hi = mid,
        }
    }
    Ok(lo)
}

/// Attempts per minute (ok and failed) and latency percentiles over the last hour.
fn last_hour(c: &Connection, since: i64) -> Result<Value, LogError> {
    let first = first_row_since(c, since)?;
    let mut statement = c
        .prepare(
            "SELECT at_ms / 60000, sum(outcome = 'ok'), sum(outcome <> 'ok') FROM attempts
             WHERE row >= ?1 GROUP BY at_ms / 60000 ORDER BY 1",
        )
        .map_err(log_error)?;
    let rows = statement
        .query_map([first], |r| Ok(json!({ "minute": r.get::<_, i64>(0)? * 60_000, "ok": r.get::<_, i64>(1)?, "failed": r.get::<_, i64>(2)? })))
        .map_err(log_error)?;
    let minutes: Vec<Value> = rows.collect::<Result<_, _>>().map_err(log_error)?;
    let count: i64 = c
        .query_row("SELECT count(*) FROM attempts WHERE row >= ?1", [first], |r| r.get(0))
        .map_err(log_error)?;
    let percentile = |p: f64| -> Result<Option<f64>, LogError> {
        if count == 0 {
            return Ok(None);
        }
        let offset = ((count as f64 - 1.0) * p).round() as i64;
        let us: i64 = c
            .query_row(
                "SELECT duration_us FROM attempts WHERE row >= ?1 ORDER BY duration_us LIMIT 1 OFFSET ?2",
                [first, offset],
                |r| r.get(0),
            )
            .map_err(log_error)?;
        Ok(Some(us as f64 / 1000.0))
    };
    Ok(
        json!({ "attempts": count, "p50_ms": percentile(0.5)?, "p99_ms": percentile(0.99)?, "per_minute": minutes }),
    )
}
