//! The HTTP surface: `POST /signals`, `GET /healthz`, `GET /metrics` and the admin routes,
//! plus graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::ingress::{self, IngressError};
use super::trace;
use super::{Routed, State};
use crate::jetstream::JetStreamError;

/// A JSON error response.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// Whether `headers` carry `Authorization: Bearer <expected>` (constant-time comparison of
/// digests, so neither the content nor the length of the token leaks through timing).
pub(super) fn bearer_ok(headers: &HeaderMap, expected: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unauthorized(what: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, format!("missing or wrong bearer token for {what}"));
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Serves until `stopped` resolves, then drains: stop accepting, let in-flight requests
/// finish, stop the pump, drain every bus until the deadline, commit what finished.
pub(super) async fn serve(
    state: Arc<State>,
    listener: tokio::net::TcpListener,
    stopped: oneshot::Receiver<()>,
) {
    let app = Router::new()
        .route("/signals", post(signals))
        .route("/healthz", get(|| async { axum::Json(json!({ "status": "ok" })) }))
        .route("/metrics", get(metrics))
        .route(
            "/admin/subscriptions",
            get(super::admin::list_subscriptions).post(super::admin::add_subscription),
        )
        .route("/admin/subscriptions/{id}", delete(super::admin::remove_subscription))
        .route("/admin/subscriptions/{id}/targets/{index}/{action}", post(super::admin::set_paused))
        .route(
            "/admin/dead-letters",
            get(super::history_api::dead_letters).delete(super::admin::purge_dead_letters),
        )
        .route("/admin/dead-letters/redrive", post(super::jobs_api::redrive))
        .route("/admin/dead-letters/{id}/redrive", post(super::admin::redrive))
        .route("/admin/replay", post(super::jobs_api::replay))
        .route("/admin/jobs", get(super::jobs_api::list))
        .route("/admin/jobs/{id}", get(super::jobs_api::get))
        .route("/admin/jobs/{id}/cancel", post(super::jobs_api::cancel))
        .route("/admin/dead-letters/{id}", delete(super::admin::remove_dead_letter))
        .route("/admin/signals", get(super::history_api::signals))
        .route("/admin/signals/{id}", get(super::history_api::signal))
        .route("/admin/attempts", get(super::history_api::attempts))
        .route("/admin/health", get(super::admin::health))
        .route("/admin/stats", get(super::console::stats))
        .route("/admin/events", get(super::console::events))
        .route("/ui", get(super::console::page))
        .route("/admin/adapters/reload", post(super::admin::reload))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .with_state(state.clone());
    let shutdown = async {
        let _ = stopped.await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!("server error: {e}");
    }
    // Jobs stop where they are and resume at the next start.
    state.jobs.stop_all();
    if let Some(queue) = &state.queue {
        queue.stop();
    }
    let deadline = Duration::from_millis(state.server.shutdown_timeout);
    let mut left = 0;
    for name in state.runtime.bus_names() {
        let report = state.runtime.bus(&name).shutdown(deadline).await;
        left += report.left.iter().map(|(_, _, pending)| pending).sum::<usize>();
    }
    state.log.close().await;
    // The OTLP exporters send what is pending (blocking calls, off the async workers).
    let runtime = state.runtime.clone();
    let _ = tokio::task::spawn_blocking(move || runtime.telemetry().tracing().shutdown()).await;
    tracing::info!(left_in_store = left, "jido-dispatch stopped");
}

#[derive(Debug, serde::Deserialize)]
struct SignalsQuery {
    bus: Option<String>,
}

async fn signals(
    Extract(state): Extract<Arc<State>>,
    Query(query): Query<SignalsQuery>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    if let Some(token) = &state.server.ingress_token
        && !bearer_ok(&headers, token)
    {
        return unauthorized("ingress");
    }
    let limit = state.server.max_body_bytes;
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body exceeds {limit} bytes (max_body_bytes)"),
            );
        }
    };
    let bus = query.bus.unwrap_or_else(|| "default".to_owned());
    if !state.known_bus(&bus) {
        return error(StatusCode::NOT_FOUND, format!("no bus `{bus}` (no subscription names it)"));
    }
    let signals = match ingress::parse(&headers, &body, state.server.default_source.as_deref()) {
        Ok(signals) => signals,
        Err(e @ IngressError::BadRequest(_)) => return error(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e @ IngressError::UnsupportedMediaType(_)) => {
            return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string());
        }
    };
    let tracing = state.runtime.telemetry().tracing();
    let (signals, spans) = trace::continue_traces(tracing, &headers, signals, &bus);
    let router = state.runtime.bus(&bus);
    let mut routed: Vec<Routed> = {
        signals
            .into_iter()
            .map(|signal| {
                let lanes = router.route(&signal);
                let bytes = signal.approximate_size();
                Routed { signal: Arc::new(signal), lanes, bytes }
            })
            .collect()
    };
    let bytes: usize = routed.iter().map(|r| r.bytes).sum();
    if !state.admission.try_admit(routed.len(), bytes) {
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "overloaded: the store holds {} undelivered signals, its budget is spent; retry later",
                state.admission.pending()
            ),
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    let ids: Vec<String> = routed.iter().map(|r| r.signal.id.clone()).collect();
    let count = routed.len();
    let stored = trace::store_span(tracing, &spans);
    if let Some(queue) = &state.queue {
        // The lanes' work goes to the shared queue; the local store keeps the history row.
        for routed in &mut routed {
            if let Err(e) = queue.publish(&router, &routed.signal, &routed.lanes).await {
                state.admission.release(count, bytes);
                let message = match e {
                    JetStreamError::Full(_) => format!(
                        "overloaded: the store holds {} undelivered signals, its budget is spent; retry later",
                        queue.pending().await.unwrap_or_default()
                    ),
                    e => e.to_string(),
                };
                let mut response = error(StatusCode::SERVICE_UNAVAILABLE, message);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
            routed.lanes.clear();
        }
    }
    let appended = state.log.append(&bus, routed).await;
    drop(stored);
    drop(spans);
    match appended {
        Ok(()) => {
            (StatusCode::ACCEPTED, axum::Json(json!({ "accepted": count, "ids": ids }))).into_response()
        }
        Err(e) => {
            state.admission.release(count, bytes);
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}

async fn metrics(Extract(state): Extract<Arc<State>>) -> Response {
    let mut text = state.runtime.metrics_text();
    text.push_str("# HELP jido_ingress_pending Accepted signals not yet finished by every target.\n");
    text.push_str("# TYPE jido_ingress_pending gauge\n");
    let pending = match &state.queue {
        Some(queue) => queue.pending().await.unwrap_or_default(),
        None => state.admission.pending() as u64,
    };
    text.push_str(&format!("jido_ingress_pending {pending}\n"));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; version=0.0.4")
        .body(Body::from(text))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "metrics"))
}

/// Rejects admin requests without the admin token (or when no admin token is configured).
pub(super) fn admin_guard(state: &State, headers: &HeaderMap) -> Option<Response> {
    match &state.server.admin_token {
        None => {
            Some(error(StatusCode::FORBIDDEN, "the admin API is off: set [server] admin_token to enable it"))
        }
        Some(token) if !bearer_ok(headers, token) => Some(unauthorized("the admin API")),
        Some(_) => None,
    }
}
