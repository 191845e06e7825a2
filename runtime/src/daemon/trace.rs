//! Trace context at the ingress: each accepted signal gets an `ingress` span, child of its
//! own `traceparent` extension or, without one, of the request's W3C `traceparent` header
//! (a new trace without either). The request's wait for its commit is one `store` span,
//! under the first signal's ingress span (a batch is committed as one; `jido.signals` says
//! how many it held).
//!
//! The daemon continues the trace: from then on the signal's `traceparent` extension names
//! the ingress span (the incoming parent stays recorded as that span's parent), so its
//! lanes and attempts, read back from the store even after a restart, hang under it. A
//! request's `tracestate` is copied to signals that carry none.

use axum::http::HeaderMap;

use crate::signal::{ExtensionValue, Signal};
use crate::telemetry::otlp::{Kind, SpanGuard};
use crate::telemetry::trace::{TRACEPARENT, TRACESTATE};
use crate::telemetry::{TraceContext, Tracing};

/// Opens an `ingress` span per signal and points each signal's `traceparent` at it.
pub(super) fn continue_traces(
    tracing: &Tracing,
    headers: &HeaderMap,
    mut signals: Vec<Signal>,
    bus: &str,
) -> (Vec<Signal>, Vec<SpanGuard>) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request_parent = header(TRACEPARENT).and_then(TraceContext::parse);
    let request_state = header(TRACESTATE).filter(|s| !s.is_empty() && s.len() <= 512);
    let mut spans = Vec::with_capacity(signals.len());
    for signal in &mut signals {
        let own = TraceContext::of(signal);
        if own.is_none()
            && let Some(state) = request_state
        {
            signal
                .extensions
                .entry(TRACESTATE.to_owned())
                .or_insert_with(|| ExtensionValue::Text(state.to_owned()));
        }
        let mut span = tracing.start("ingress", Kind::Server, own.or(request_parent));
        if tracing.exporting() {
            span.set("cloudevents.event_id", signal.id.clone());
            span.set("cloudevents.event_type", signal.ty.clone());
            span.set("jido.bus", bus.to_owned());
        }
        signal.extensions.insert(TRACEPARENT.to_owned(), ExtensionValue::Text(span.context().header()));
        spans.push(span);
    }
    (signals, spans)
}

/// The request's `store` span, ended when the commit is done (dropped).
pub(super) fn store_span(tracing: &Tracing, ingress: &[SpanGuard]) -> Option<SpanGuard> {
    let first = ingress.first().filter(|_| tracing.exporting())?;
    let mut span = tracing.start("store", Kind::Internal, Some(first.context()));
    span.set("jido.signals", ingress.len() as i64);
    Some(span)
}
