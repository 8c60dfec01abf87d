//! W3C Trace Context: the caller's `traceparent`/`tracestate` continued by the request's
//! span, the current span's context passed on to the departments, and the trace id for
//! the response and the log lines. Without a tracer (no `tracing.endpoint`) all of it is
//! a no-op.

use std::collections::HashMap;

use opentelemetry::{
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TraceId},
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";

/// Makes `span` continue the caller's trace, when the caller sent a valid
/// `traceparent`; returns the id of the trace the span belongs to, if it is traced.
pub fn continue_trace(
    span: &tracing::Span,
    traceparent: Option<&str>,
    tracestate: Option<&str>,
) -> Option<TraceId> {
    if let Some(parent) = traceparent {
        let mut carrier = HashMap::with_capacity(2);
        carrier.insert(TRACEPARENT.to_owned(), parent.to_owned());
        if let Some(state) = tracestate {
            carrier.insert(TRACESTATE.to_owned(), state.to_owned());
        }
        let context = TraceContextPropagator::new().extract(&carrier);
        if context.span().span_context().is_valid() {
            // Fails only when tracing is off or the span was already entered.
            let _ = span.set_parent(context);
        }
    }
    trace_id(span)
}

/// The trace id of `span`, when a tracer records it.
pub fn trace_id(span: &tracing::Span) -> Option<TraceId> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| span_context.trace_id())
}

/// The `traceparent` (and `tracestate`, if any) of the current span, for a call to
/// another service; empty when nothing is traced.
pub fn outgoing_headers() -> Vec<(&'static str, String)> {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return Vec::new();
    }
    let mut carrier = HashMap::with_capacity(2);
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    [TRACEPARENT, TRACESTATE]
        .into_iter()
        .filter_map(|name| Some((name, carrier.remove(name)?)))
        .filter(|(_, value)| !value.is_empty())
        .collect()
}

/// Renames `span` once it is known what it does (the name a tracer shows); attributes
/// can be recorded later, a name only this way.
pub fn rename(span: &tracing::Span, name: String) {
    let context = span.context();
    if context.span().span_context().is_valid() {
        context.span().update_name(name);
    }
}
