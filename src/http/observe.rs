//! Around every request: a request id (kept from the caller when sane, else new), a
//! tracing span, a log line and the request metrics. Only the path is logged, never the
//! query string (a GET query can carry personal data) or a header value.

use std::time::Instant;

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

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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
    let span = tracing::info_span!("request", request_id = %id, method = %method, route);

    if let Some(state) = &state {
        state.metrics.request_started();
    }
    let started = Instant::now();
    // The handlers answer every failure themselves; an `Err` here is actix's own and
    // passes through as it is. (The request must not be cloned before routing.)
    let mut response = next
        .call(request)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
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
