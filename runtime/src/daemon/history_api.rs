//! The history's admin routes: `GET /admin/signals`, `GET /admin/signals/{id}`,
//! `GET /admin/attempts`, and the paged `GET /admin/dead-letters`.
//!
//! Query parameters are checked: an unknown one, a bad time or a bad limit is a 400 that
//! names it. Times are RFC 3339 or Unix milliseconds; `limit` is 1..=1000 (default 50,
//! dead letters 100); `cursor` is the `next_cursor` of the page before.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::State;
use super::history_read::{self, Filter};
use super::server::error;

/// Largest page.
const MAX_LIMIT: usize = 1000;

/// `GET /admin/signals?type=&source=&id=&since=&until=&outcome=&cursor=&limit=`.
pub(super) async fn signals(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Response {
    guard!(state, headers);
    let allowed = ["type", "source", "id", "since", "until", "outcome", "cursor", "limit"];
    let filter = match parse_filter(query.0.as_deref(), &allowed, 50) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if !state.history.enabled() {
        return page_response(Ok((Vec::new(), None)), "signals");
    }
    let found = state.history.run(move |c| history_read::signals(c, &filter)).await;
    page_response(found, "signals")
}

/// `GET /admin/attempts?target=&outcome=&signal=&source=&subscription=&since=&until=&cursor=&limit=`.
pub(super) async fn attempts(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Response {
    guard!(state, headers);
    let allowed =
        ["target", "outcome", "signal", "source", "subscription", "since", "until", "cursor", "limit"];
    let filter = match parse_filter(query.0.as_deref(), &allowed, 50) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let found = state.history.run(move |c| history_read::attempts(c, &filter)).await;
    page_response(found, "attempts")
}

/// `GET /admin/signals/{id}?source=`: the newest signal with that id, its lanes and
/// their attempt timelines.
pub(super) async fn signal(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: RawQuery,
) -> Response {
    guard!(state, headers);
    let filter = match parse_filter(query.0.as_deref(), &["source"], 1) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let wanted = id.clone();
    if !state.history.enabled() {
        return error(
            StatusCode::NOT_FOUND,
            format!("no signal {id:?} in the history (attempt_log = false)"),
        );
    }
    let found = state.history.run(move |c| history_read::signal(c, &wanted, filter.source.as_deref())).await;
    match found {
        Ok(Some(shown)) => axum::Json(shown).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no signal {id:?} in the history")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /admin/dead-letters?cursor=&limit=`: oldest first, targets redacted.
pub(super) async fn dead_letters(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    query: RawQuery,
) -> Response {
    guard!(state, headers);
    let filter = match parse_filter(query.0.as_deref(), &["cursor", "limit"], 100) {
        Ok(filter) => filter,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let after = filter.cursor.and_then(|c| u64::try_from(c).ok()).unwrap_or(0);
    match state.runtime.dead_letters().page(after, filter.limit) {
        Ok(letters) => {
            let next =
                (letters.len() >= filter.limit).then(|| letters.last().map(|l| l.id.to_string())).flatten();
            let letters: Vec<_> = letters
                .iter()
                .map(|letter| {
                    let mut shown = letter.to_json();
                    shown["target"] = state.runtime.redacted_target(&letter.target);
                    shown
                })
                .collect();
            axum::Json(json!({ "dead_letters": letters, "next_cursor": next })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn page_response(found: Result<history_read::Page, super::log::LogError>, name: &str) -> Response {
    match found {
        Ok((items, next)) => {
            axum::Json(json!({ name: items, "next_cursor": next.map(|n| n.to_string()) })).into_response()
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Parses the query string; only the `allowed` parameters are accepted.
pub(super) fn parse_filter(query: Option<&str>, allowed: &[&str], limit: usize) -> Result<Filter, String> {
    let mut filter = Filter { limit, ..Filter::default() };
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if !allowed.contains(&&*key) {
            return Err(format!("unknown query parameter `{key}` (known: {})", allowed.join(", ")));
        }
        let value = value.into_owned();
        match &*key {
            "type" => filter.ty = Some(value),
            "source" => filter.source = Some(value),
            "id" | "signal" => filter.signal = Some(value),
            "target" => filter.target = Some(value),
            "outcome" => filter.outcome = Some(value),
            "subscription" => filter.subscription = Some(number(&key, &value)?),
            "since" => filter.since_ms = Some(instant(&key, &value)?),
            "until" => filter.until_ms = Some(instant(&key, &value)?),
            "cursor" => filter.cursor = Some(number(&key, &value)?),
            "limit" => {
                filter.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| format!("limit: expected 1..={MAX_LIMIT}, got {value:?}"))?;
            }
            _ => {}
        }
    }
    Ok(filter)
}

fn number(key: &str, value: &str) -> Result<i64, String> {
    value.parse().map_err(|_| format!("{key}: expected a number, got {value:?}"))
}

/// RFC 3339 or Unix milliseconds.
pub(super) fn instant(key: &str, value: &str) -> Result<i64, String> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    let at =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).map_err(|_| {
            format!("{key}: expected RFC 3339 (2026-12-01T10:00:00Z) or Unix milliseconds, got {value:?}")
        })?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| format!("{key}: out of range"))
}

#[cfg(test)]
mod tests {
    use super::parse_filter;

    #[test]
    fn filters_parse_and_bad_parameters_are_named() {
        let filter = parse_filter(
            Some("type=user.created&since=2026-12-01T00:00:00Z&limit=5&cursor=9"),
            &["type", "since", "limit", "cursor"],
            50,
        )
        .expect("parses");
        assert_eq!(filter.ty.as_deref(), Some("user.created"));
        assert_eq!(filter.since_ms, Some(1_796_083_200_000));
        assert_eq!((filter.limit, filter.cursor), (5, Some(9)));
        let refused = |q: &str| parse_filter(Some(q), &["since", "limit"], 50).expect_err(q);
        assert!(refused("color=red").contains("unknown query parameter `color`"));
        assert!(refused("since=yesterday").starts_with("since: expected RFC 3339"));
        assert!(refused("limit=0").starts_with("limit: expected 1..=1000"));
        assert!(refused("limit=5000").starts_with("limit:"));
    }
}
