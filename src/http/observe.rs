//! Around every request: a request id (kept from the caller when sane, else new), a
//! tracing span that continues the caller's W3C trace, a log line and the request
//! metrics. Only the path is logged, never the query string (a GET query can carry
//! personal data) or a header value other than the trace context. The response carries
//! the request id and, when the request is traced, the trace id.

use std::{sync::Arc, time::Instant};

use actix_web::{
    Error, HttpMessage,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use tracing::Instrument;

use super::AppState;
use crate::telemetry::{context, db};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACE_ID: HeaderName = HeaderName::from_static("x-trace-id");

/// The id of the request being answered; it travels to the departments and the audit log.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let route = route_label(request.path());
    let method = request.method().to_string();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        request_id = %id,
        trace_id = tracing::field::Empty,
        http.request.method = %method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
        db.calls = tracing::field::Empty,
        db.duration_ms = tracing::field::Empty,
    );
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let trace_id = context::continue_trace(
        &span,
        header(context::TRACEPARENT),
        header(context::TRACESTATE),
    )
    .map(|t| t.to_string());
    if let Some(trace_id) = &trace_id {
        span.record("trace_id", trace_id.as_str());
    }

    if let Some(state) = &state {
        state.metrics.request_started();
    }
    let started = Instant::now();
    // The handlers answer every failure themselves; an `Err` here is actix's own and
    // passes through as it is. (The request must not be cloned before routing.)
    let tally = Arc::new(db::Tally::default());
    let mut response = db::tallied(tally.clone(), next.call(request).instrument(span.clone()))
        .await?
        .map_into_boxed_body();
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if let Some(value) = trace_id.and_then(|t| HeaderValue::from_str(&t).ok()) {
        response.headers_mut().insert(TRACE_ID, value);
    }
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if tally.calls() > 0 {
        span.record("db.calls", tally.calls());
        span.record(
            "db.duration_ms",
            tally.duration().as_micros() as f64 / 1000.0,
        );
    }
    if let Some(state) = &state {
        state
            .metrics
            .request_finished(route, &method, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "answered"
        );
    });
    Ok(response)
}

fn is_sane_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

// A fixed set of labels, so that scanning random paths cannot grow the metrics.
fn route_label(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/graphql/stream" => "/graphql/stream",
        "/graphiql" => "/graphiql",
        path if path.starts_with("/graphiql/assets/") => "/graphiql/assets",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_request_ids_are_kept() {
        assert!(super::is_sane_id("0b8f-42_a.1"));
        assert!(!super::is_sane_id(""));
        assert!(!super::is_sane_id("a b"));
        assert!(!super::is_sane_id(&"x".repeat(65)));
    }
}
