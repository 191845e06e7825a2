//! Spans and metrics over OTLP/HTTP (protobuf), with the `opentelemetry` SDK.
//!
//! [`Tracing::start`] opens a span as the child of a [`TraceContext`] (a new trace when
//! there is none) and hands back the new span's context, which the caller propagates (the
//! signal's `traceparent` extension, the outgoing `traceparent` header). Without an OTLP
//! endpoint nothing is recorded, but contexts are still made and propagated, so traces stay
//! connected across services whether or not this process exports.
//!
//! Spans go out in batches from the SDK's own thread (every 500 ms, or at 4,096 spans; up
//! to 16,384 wait, beyond that new spans are dropped rather than slowing deliveries);
//! metrics every 10 s. [`Tracing::shutdown`] flushes both.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider};

use super::Metrics;
use super::trace::TraceContext;

/// Why the OTLP exporters could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("OTLP endpoint {endpoint:?}: {reason}")]
pub struct OtlpError {
    /// The endpoint as configured.
    pub endpoint: String,
    /// Why.
    pub reason: String,
}

/// Span kinds used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Receiving a request (the ingress).
    Server,
    /// Work inside the process (store, lane).
    Internal,
    /// Calling out (a delivery attempt).
    Client,
}

/// The tracer and meter of a runtime (both absent when nothing is exported).
#[derive(Default)]
pub struct Tracing {
    exported: Option<Exported>,
}

struct Exported {
    tracer: SdkTracer,
    traces: SdkTracerProvider,
    meters: SdkMeterProvider,
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracing").field("exported", &self.exported.is_some()).finish()
    }
}

/// An open span: ended when dropped (or with [`SpanGuard::end`]).
pub struct SpanGuard {
    span: Option<opentelemetry_sdk::trace::Span>,
    context: TraceContext,
}

impl std::fmt::Debug for SpanGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanGuard").field("context", &self.context).finish_non_exhaustive()
    }
}

impl SpanGuard {
    /// This span's context: what its children and outgoing requests name as parent.
    pub fn context(&self) -> TraceContext {
        self.context
    }

    /// Sets an attribute (nothing when not exporting).
    pub fn set(&mut self, key: &'static str, value: impl Into<opentelemetry::Value>) {
        if let Some(span) = &mut self.span {
            span.set_attribute(KeyValue::new(key, value));
        }
    }

    /// Ends the span now.
    pub fn end(self) {}
}

impl Tracing {
    /// Exports to the OTLP/HTTP collector at `endpoint` (its base URL: `/v1/traces` and
    /// `/v1/metrics` are appended), with `metrics` as the delivery counters.
    pub fn otlp(endpoint: &str, metrics: Arc<Metrics>) -> Result<Tracing, OtlpError> {
        let fail = |reason: String| OtlpError { endpoint: endpoint.to_owned(), reason };
        let base = endpoint.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(fail("expected an http:// or https:// URL".to_owned()));
        }
        let resource = Resource::builder().with_service_name("jido-dispatch").build();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{base}/v1/traces"))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        // Large batches: at thousands of signals per second (four spans each) the cost per
        // export request, not per span, is what a small batch multiplies.
        let batch = BatchConfigBuilder::default()
            .with_scheduled_delay(Duration::from_millis(500))
            .with_max_queue_size(16_384)
            .with_max_export_batch_size(4_096)
            .build();
        let traces = SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(spans).with_batch_config(batch).build())
            .with_resource(resource.clone())
            .build();
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .with_endpoint(format!("{base}/v1/metrics"))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let reader = PeriodicReader::builder(exporter).with_interval(Duration::from_secs(10)).build();
        let meters = SdkMeterProvider::builder().with_reader(reader).with_resource(resource).build();
        let meter = meters.meter("jido-dispatch");
        meter
            .u64_observable_counter("jido.delivery.attempts")
            .with_description("Delivery attempts by adapter and outcome (ok, retryable, permanent)")
            .with_callback(move |observer| {
                for (adapter, outcome, count) in metrics.counts() {
                    observer.observe(
                        count,
                        &[KeyValue::new("adapter", adapter.to_string()), KeyValue::new("outcome", outcome)],
                    );
                }
            })
            .build();
        let tracer = traces.tracer("jido-dispatch");
        Ok(Tracing { exported: Some(Exported { tracer, traces, meters }) })
    }

    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.exported.is_some()
    }

    /// Opens span `name` as a child of `parent` (a new trace without one).
    pub fn start(&self, name: &'static str, kind: Kind, parent: Option<TraceContext>) -> SpanGuard {
        let Some(exported) = &self.exported else {
            let context = parent.map_or_else(TraceContext::root, |p| p.child());
            return SpanGuard { span: None, context };
        };
        let cx = match parent {
            Some(p) => Context::new().with_remote_span_context(SpanContext::new(
                TraceId::from_bytes(p.trace_id),
                SpanId::from_bytes(p.span_id),
                if p.sampled { TraceFlags::SAMPLED } else { TraceFlags::default() },
                true,
                TraceState::NONE,
            )),
            None => Context::new(),
        };
        let kind = match kind {
            Kind::Server => SpanKind::Server,
            Kind::Internal => SpanKind::Internal,
            Kind::Client => SpanKind::Client,
        };
        let span =
            exported.tracer.span_builder(name).with_kind(kind).start_with_context(&exported.tracer, &cx);
        let sc = span.span_context();
        let context = TraceContext {
            trace_id: sc.trace_id().to_bytes(),
            span_id: sc.span_id().to_bytes(),
            sampled: sc.is_sampled(),
        };
        SpanGuard { span: Some(span), context }
    }

    /// Exports what is pending and stops the exporters (a daemon's last step).
    pub fn shutdown(&self) {
        if let Some(exported) = &self.exported {
            if let Err(error) = exported.traces.shutdown() {
                tracing::warn!("OTLP spans: {error}");
            }
            if let Err(error) = exported.meters.shutdown() {
                tracing::warn!("OTLP metrics: {error}");
            }
        }
    }
}
