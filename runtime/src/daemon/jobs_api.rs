//! The jobs' admin routes: `POST /admin/dead-letters/redrive` (bulk redrive by filter),
//! `POST /admin/replay`, `GET /admin/jobs`, `GET /admin/jobs/{id}` and
//! `POST /admin/jobs/{id}/cancel`.
//!
//! Making a job answers `202 Accepted` with the job and a `Location` to follow; the work
//! runs in the daemon, survives restarts, and is checked as it goes with `GET`.

use std::sync::{Arc, PoisonError};

use axum::extract::{Path, RawQuery, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::State;
use super::history_api::{instant, parse_filter};
use super::job_run::last_history_row;
use super::jobs::{Job, JobSpec, LetterFilter, SignalFilter};
use super::server::error;
use crate::bus::SubscriptionId;
use crate::target::TargetSpec;

/// A time in a request body: RFC 3339 text or Unix milliseconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Instant {
    Ms(i64),
    Text(String),
}

fn ms(key: &str, value: Option<Instant>) -> Result<Option<i64>, String> {
    match value {
        None => Ok(None),
        Some(Instant::Ms(ms)) => Ok(Some(ms)),
        Some(Instant::Text(text)) => instant(key, &text).map(Some),
    }
}

/// The body of `POST /admin/dead-letters/redrive`; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedriveBody {
    target: Option<String>,
    code: Option<String>,
    origin: Option<String>,
    since: Option<Instant>,
    until: Option<Instant>,
}

/// The body of `POST /admin/replay`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    #[serde(default)]
    filter: ReplayFilter,
    /// A target object (`{ "adapter": …, … }`) or a live one: `{ "subscription": 3, "target": 0 }`.
    target: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayFilter {
    #[serde(rename = "type")]
    ty: Option<String>,
    source: Option<String>,
    bus: Option<String>,
    since: Option<Instant>,
    until: Option<Instant>,
}

fn parse_body<T: for<'de> Deserialize<'de> + Default>(body: &str, what: &str) -> Result<T, String> {
    if body.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(body).map_err(|e| format!("invalid {what}: {e}"))
}

/// `POST /admin/dead-letters/redrive` with `{ target?, code?, origin?, since?, until? }`.
pub(super) async fn redrive(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    guard!(state, headers);
    let filter = match parse_body::<RedriveBody>(&body, "redrive filter").and_then(|b| {
        Ok(LetterFilter {
            since_ms: ms("since", b.since)?,
            until_ms: ms("until", b.until)?,
            target: b.target,
            code: b.code,
            origin: b.origin,
        })
    }) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let last_id = match state.runtime.dead_letters().last_id() {
        Ok(id) => id,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    start(&state, JobSpec::Redrive { filter, last_id })
}

/// `POST /admin/replay` with `{ filter: { type?, source?, bus?, since?, until? }, target }`.
pub(super) async fn replay(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    guard!(state, headers);
    let request: ReplayBody = match serde_json::from_str(&body) {
        Ok(request) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid replay: {e}")),
    };
    let f = request.filter;
    let filter = match (ms("filter.since", f.since), ms("filter.until", f.until)) {
        (Ok(since_ms), Ok(until_ms)) => {
            SignalFilter { ty: f.ty, source: f.source, bus: f.bus, since_ms, until_ms }
        }
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, message),
    };
    let target = match replay_target(&state, request.target) {
        Ok(target) => target,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let spec = match TargetSpec::from_value(target.clone()) {
        Ok(spec) => spec,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("target: {e}")),
    };
    if let Err(e) = state.runtime.open_target(&spec).await {
        return error(StatusCode::BAD_REQUEST, format!("target: {e}"));
    }
    let last_row = match state.history.run(last_history_row).await {
        Ok(row) => row,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    start(&state, JobSpec::Replay { filter, target, last_row })
}

/// A replay's target as a target object: given whole, or copied from a live lane.
fn replay_target(state: &State, target: Value) -> Result<Value, String> {
    if target.get("adapter").is_some() {
        return Ok(target);
    }
    let (Some(id), Some(index)) = (target["subscription"].as_u64(), target["target"].as_u64()) else {
        return Err("target: expected a target object with `adapter`, or `{ \"subscription\": ID, \"target\": INDEX }`".to_owned());
    };
    let found =
        state.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).get(&SubscriptionId(id)).cloned();
    let (bus, _) = found.ok_or_else(|| format!("target: no subscription {id}"))?;
    let targets = state.runtime.bus(&bus).targets_of(SubscriptionId(id)).unwrap_or_default();
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    let live =
        targets.get(index).ok_or_else(|| format!("target: subscription {id} has no target {index}"))?;
    Ok(live.spec().to_value())
}

fn start(state: &State, spec: JobSpec) -> Response {
    match state.jobs.store.create(spec) {
        Ok(job) => {
            state.jobs.start(job.clone());
            let mut response = (StatusCode::ACCEPTED, axum::Json(shown(state, &job))).into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/admin/jobs/{}", job.id)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A job as the API shows it (the replay target's secrets as fingerprints).
fn shown(state: &State, job: &Job) -> Value {
    job.to_json(|target| match TargetSpec::from_value(target.clone()) {
        Ok(spec) => state.runtime.redacted_target(&spec),
        Err(_) => Value::Null,
    })
}

/// `GET /admin/jobs?cursor=&limit=`: newest first.
pub(super) async fn list(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Response {
    guard!(state, headers);
    let filter = match parse_filter(query.0.as_deref(), &["cursor", "limit"], 50) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    match state.jobs.store.page(filter.cursor, filter.limit) {
        Ok(jobs) => {
            let next = (jobs.len() >= filter.limit).then(|| jobs.last().map(|j| j.id.to_string())).flatten();
            let jobs: Vec<Value> = jobs.iter().map(|job| shown(&state, job)).collect();
            axum::Json(json!({ "jobs": jobs, "next_cursor": next })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /admin/jobs/{id}`.
pub(super) async fn get(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    guard!(state, headers);
    match state.jobs.store.get(id) {
        Ok(Some(job)) => axum::Json(shown(&state, &job)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no job {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /admin/jobs/{id}/cancel`: `409` when it had already ended.
pub(super) async fn cancel(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    guard!(state, headers);
    let cancelled = state.jobs.cancel(id);
    let job = state.jobs.store.get(id);
    match (cancelled, job) {
        (Ok(None), _) => error(StatusCode::NOT_FOUND, format!("no job {id}")),
        (Ok(Some(true)), Ok(Some(job))) => axum::Json(shown(&state, &job)).into_response(),
        (Ok(Some(false)), Ok(Some(job))) => {
            error(StatusCode::CONFLICT, format!("job {id} has already ended ({})", job.state.name()))
        }
        (Err(e), _) | (_, Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        (_, Ok(None)) => error(StatusCode::NOT_FOUND, format!("no job {id}")),
    }
}
