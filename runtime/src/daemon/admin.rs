//! The admin API (bearer `admin_token`): subscriptions (persisted), dead letters, health.

use std::sync::{Arc, PoisonError};

use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::server::error;
use super::subscriptions::SubscriptionRequest;
use super::{Origin, State, Wanted, api_key, subscribe};
use crate::RedriveError;
use crate::bus::SubscriptionId;
use crate::target::TargetSpec;

/// `GET /admin/subscriptions`.
pub(super) async fn list_subscriptions(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    guard!(state, headers);
    let origins = state.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut all = Vec::new();
    for name in state.runtime.bus_names() {
        for info in state.runtime.bus(&name).subscriptions() {
            // A subscription is listed once its origin is recorded: one that is still
            // being opened (e.g. arriving from another node) is not shown half-made.
            let source = match origins.get(&info.id) {
                Some((_, Origin::Api(_) | Origin::Shared(_))) => "api",
                Some((_, Origin::Config)) => "config",
                None => continue,
            };
            all.push(json!({
                "id": info.id.0,
                "bus": name,
                "path": info.path,
                "priority": info.priority,
                "filters": info.filters,
                "dispatch": info.targets.iter().map(|t| state.runtime.redacted_target(t)).collect::<Vec<_>>(),
                "pending": info.pending,
                "paused": info.paused.iter().map(|p| p.map(super::subscriptions::reason_name)).collect::<Vec<_>>(),
                "source": source,
            }));
        }
    }
    axum::Json(json!({ "subscriptions": all })).into_response()
}

/// `POST /admin/subscriptions` with `{ bus?, path, priority?, filters?, dispatch }`.
pub(super) async fn add_subscription(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    guard!(state, headers);
    let request: SubscriptionRequest = match serde_json::from_str(&body) {
        Ok(request) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid subscription: {e}")),
    };
    let targets = match TargetSpec::list_from_value(request.dispatch.clone()) {
        Ok(targets) => targets,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("dispatch: {e}")),
    };
    if let Some(queue) = &state.queue {
        return match queue.add(&state, &request).await {
            Ok(id) => {
                (StatusCode::CREATED, axum::Json(json!({ "id": id.0, "bus": request.bus }))).into_response()
            }
            Err(e @ super::queue::AddError::Invalid(_)) => error(StatusCode::BAD_REQUEST, e.to_string()),
            Err(e @ super::queue::AddError::Store(_)) => {
                error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
        };
    }
    // The row first: its id names the subscription's lanes in the store.
    let row = match state.stored.add(&request) {
        Ok(row) => row,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    match subscribe(&state, Wanted::from(&request), targets, api_key(row)).await {
        Ok(id) => {
            state.remember(id, &request.bus, Origin::Api(row));
            (StatusCode::CREATED, axum::Json(json!({ "id": id.0, "bus": request.bus }))).into_response()
        }
        Err(e) => {
            if let Err(store) = state.stored.remove(row) {
                tracing::error!(row, "cannot remove the refused subscription's row: {store}");
            }
            error(StatusCode::BAD_REQUEST, e.to_string())
        }
    }
}

/// `DELETE /admin/subscriptions/{id}`.
pub(super) async fn remove_subscription(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    guard!(state, headers);
    let id = SubscriptionId(id);
    let found = state.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned();
    match found {
        None => error(StatusCode::NOT_FOUND, format!("no subscription {}", id.0)),
        Some((_, Origin::Config)) => error(
            StatusCode::CONFLICT,
            format!("subscription {} comes from the config file; remove it there and restart", id.0),
        ),
        Some((bus, Origin::Shared(key))) => {
            let Some(queue) = &state.queue else {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "a shared subscription without a queue");
            };
            match queue.remove(&state, &key, id, &bus).await {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            }
        }
        Some((bus, Origin::Api(row))) => {
            if let Err(e) = state.stored.remove(row) {
                return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
            }
            let lanes = state.runtime.bus(&bus).lane_keys(id);
            state.forget(id, &bus);
            // Its backlog goes with it (nothing will deliver it any more).
            if let Err(e) = state.log.forget(lanes, false).await {
                tracing::error!("cannot remove the backlog of subscription {id}: {e}");
            }
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

/// `POST /admin/subscriptions/{id}/targets/{index}/{pause|resume}`: the lane takes no new
/// deliveries while paused and keeps its backlog in the store; the state survives restarts.
pub(super) async fn set_paused(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path((id, index, action)): Path<(u64, usize, String)>,
) -> Response {
    guard!(state, headers);
    let paused = match action.as_str() {
        "pause" => true,
        "resume" => false,
        other => return error(StatusCode::NOT_FOUND, format!("no action `{other}` (pause or resume)")),
    };
    let id = SubscriptionId(id);
    let found = state.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned();
    let Some((bus, _)) = found else {
        return error(StatusCode::NOT_FOUND, format!("no subscription {}", id.0));
    };
    let bus = state.runtime.bus(&bus);
    let Some(changed) = bus.set_paused(id, index, paused) else {
        return error(StatusCode::NOT_FOUND, format!("subscription {} has no target {index}", id.0));
    };
    if let Some(key) = bus.lane_key(id, index) {
        let reason = paused.then_some(crate::bus::PauseReason::Operator);
        // With a JetStream store the state is every daemon's; otherwise this one's file.
        let stored = match &state.queue {
            Some(queue) => queue.pauses().set(&key, reason).await.map_err(|e| e.to_string()),
            None => state.stored.set_paused(&key, reason).map_err(|e| e.to_string()),
        };
        if let Err(e) = stored {
            return error(StatusCode::INTERNAL_SERVER_ERROR, e);
        }
    }
    tracing::info!(subscription = id.0, target = index, paused, "lane {action}d by an operator");
    axum::Json(json!({ "subscription": id.0, "target": index, "paused": paused, "changed": changed }))
        .into_response()
}

/// `DELETE /admin/dead-letters`: purges every letter.
pub(super) async fn purge_dead_letters(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    guard!(state, headers);
    match state.runtime.dead_letters().purge() {
        Ok(purged) => axum::Json(json!({ "purged": purged })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /admin/dead-letters/{id}/redrive`.
pub(super) async fn redrive(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    guard!(state, headers);
    match state.runtime.redrive(id).await {
        Ok(()) => axum::Json(json!({ "redriven": id })).into_response(),
        Err(e @ RedriveError::NotFound(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ RedriveError::Delivery(_)) => error(StatusCode::BAD_GATEWAY, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `DELETE /admin/dead-letters/{id}`.
pub(super) async fn remove_dead_letter(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    guard!(state, headers);
    match state.runtime.dead_letters().remove(id) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, format!("no dead letter {id}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /admin/health`: every target of every subscription.
pub(super) async fn health(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    guard!(state, headers);
    let mut all = Vec::new();
    for name in state.runtime.bus_names() {
        let bus = state.runtime.bus(&name);
        for info in bus.subscriptions() {
            for (index, target) in bus.targets_of(info.id).iter().flat_map(|t| t.iter()).enumerate() {
                let mut entry = target.health().await.to_json();
                entry["bus"] = json!(name);
                entry["subscription"] = json!(info.id.0);
                entry["target"] = json!(index);
                entry["adapter"] = json!(target.spec().adapter);
                all.push(entry);
            }
        }
    }
    axum::Json(json!({ "targets": all })).into_response()
}

/// `POST /admin/adapters/reload`: the same as SIGHUP.
pub(super) async fn reload(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    guard!(state, headers);
    match state.reload_adapters().await {
        Ok(loaded) => axum::Json(json!({ "reloaded": loaded })).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}
