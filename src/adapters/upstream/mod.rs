//! The machinery every department call goes through, written once: deadline and
//! per-attempt timeout, retries of safe reads, the circuit breaker, the bound on calls
//! in flight, the request id header, health figures and the call's tracing span.

pub(crate) mod breaker;
pub(crate) mod cache;
mod client;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod retry;

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;
use tracing::Instrument;

use self::breaker::{Breaker, Outcome};
pub(crate) use self::client::ThreadClients;
use self::health::{DepartmentHealth, HealthRecorder};
use super::budget::Budget;
use super::context::CallContext;
use super::error::{AdapterError, Rejection, Unavailability};
use super::settings::Tuning;
use crate::{coordination::Coordination, domain::Department, telemetry};

/// Whether a call may be repeated after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A read without effects: retried with backoff.
    SafeRead,
    /// Tried once: for calls with effects (none yet; every department call is a read).
    #[allow(dead_code)]
    Never,
}

/// A department's answer as received: status, `Retry-After`, and the body bytes.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

impl Answer {
    /// The failure an HTTP status says by itself (for answers the department's own
    /// envelope did not explain): 429, 401, 403, other 4xx, 5xx.
    pub(crate) fn status_error(&self, department: Department) -> Option<AdapterError> {
        let status = self.status.as_u16();
        let rejected = |reason| AdapterError::Rejected { department, reason };
        match status {
            200..=299 => None,
            429 => Some(AdapterError::RateLimited {
                department,
                retry_after: self.retry_after,
            }),
            401 => Some(rejected(Rejection::Unauthorized)),
            403 => Some(rejected(Rejection::Forbidden)),
            400 => Some(rejected(Rejection::BadRequest)),
            500..=599 => Some(AdapterError::Unavailable {
                department,
                reason: Unavailability::Status(status),
            }),
            other => Some(rejected(Rejection::Status(other))),
        }
    }
}

/// One department's connection: its client, base URL, tuning, breaker, budget and health.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub department: Department,
    client: ThreadClients,
    base: Option<url::Url>,
    pub tuning: Tuning,
    breaker: Breaker,
    health: HealthRecorder,
    budget: std::sync::Arc<Budget>,
}

impl Upstream {
    /// `base_url` empty or unparsable: the department is not configured (settings
    /// validation reports the unparsable case).
    pub(crate) fn new(
        department: Department,
        client: ThreadClients,
        base_url: &str,
        tuning: Tuning,
        coordination: &Coordination,
    ) -> Self {
        let base = url::Url::parse(base_url.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let budget = Budget::new(
            department,
            f64::from(tuning.rate_per_sec),
            tuning.max_in_flight,
            coordination.clone(),
        );
        Self {
            department,
            client,
            base,
            breaker: Breaker::new(tuning.breaker_failures, tuning.breaker_cooldown),
            tuning,
            health: HealthRecorder::default(),
            budget,
        }
    }

    /// The URL of `path` (segments already escaped) under the base URL.
    pub(crate) fn url(&self, path: &str) -> Result<url::Url, AdapterError> {
        let base = self.base.as_ref().ok_or(AdapterError::NotConfigured {
            department: self.department,
        })?;
        let mut url = base.clone();
        let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        Ok(url)
    }

    pub(crate) fn is_configured(&self) -> bool {
        self.base.is_some()
    }

    /// The department's health now.
    pub(crate) fn health(&self) -> DepartmentHealth {
        self.health
            .snapshot(self.department, self.is_configured(), self.breaker.state())
    }

    /// Makes one logical call: `build` makes the request (called once per attempt),
    /// `read` turns the answer into a value or a typed failure.
    pub(crate) async fn call<T>(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        retry: Retry,
        build: impl Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, AdapterError>,
        read: impl Fn(Answer) -> Result<T, AdapterError>,
    ) -> Result<T, AdapterError> {
        // A DEBUG span, exported but outside the log lines at `info`: the log layer would
        // format its fields on every call, and the one line written in it, the failure's
        // warning, names the department and the operation itself.
        let span = tracing::debug_span!(
            "department_call",
            otel.name = %format_args!("{} {operation}", self.department),
            otel.kind = "client",
            department = %self.department,
            operation,
            request_id = %ctx.request_id,
            attempts = tracing::field::Empty,
            outcome = tracing::field::Empty,
            breaker = tracing::field::Empty,
        );
        let result = async {
            let mut attempt = 0;
            loop {
                let attempt_span = tracing::debug_span!(
                    "department_attempt",
                    otel.name = %format_args!("{} attempt", self.department),
                    otel.kind = "client",
                    department = %self.department,
                    attempt = attempt + 1,
                    http.response.status_code = tracing::field::Empty,
                    outcome = tracing::field::Empty,
                );
                let outcome = self
                    .attempt(ctx, &build, &read, &attempt_span)
                    .instrument(attempt_span.clone())
                    .await;
                attempt_span.record("outcome", outcome_name(outcome.as_ref().err()));
                span.record("attempts", attempt + 1);
                let error = match outcome {
                    Ok(value) => return Ok(value),
                    Err(e) => e,
                };
                let delay = match retry {
                    Retry::SafeRead => retry::next_delay(
                        &error,
                        attempt,
                        &self.tuning,
                        ctx.remaining(),
                        retry::jitter_unit(),
                    ),
                    Retry::Never => None,
                };
                let Some(delay) = delay else {
                    tracing::warn!(
                        department = %self.department,
                        operation,
                        kind = error.kind().as_str(),
                        attempts = attempt + 1,
                        "department call failed"
                    );
                    return Err(error);
                };
                tracing::debug!(kind = error.kind().as_str(), ?delay, "retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
        }
        .instrument(span.clone())
        .await;
        span.record("outcome", outcome_name(result.as_ref().err()));
        span.record("breaker", self.breaker.state().as_str());
        result
    }

    async fn attempt<T>(
        &self,
        ctx: &CallContext,
        build: &impl Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, AdapterError>,
        read: &impl Fn(Answer) -> Result<T, AdapterError>,
        // Named, not the current span: when a span is off, the current one is its
        // parent's, whose fields are not the attempt's.
        span: &tracing::Span,
    ) -> Result<T, AdapterError> {
        let department = self.department;
        let timeout = AdapterError::Timeout { department };
        if ctx.expired() {
            return Err(timeout);
        }
        let mut request =
            build(&self.client.here())?.header("X-Request-Id", ctx.request_id.as_str());
        // The attempt's span is the parent a department that traces will continue.
        for (name, value) in telemetry::context::outgoing_headers() {
            request = request.header(name, value);
        }
        let Some(permit) = self.breaker.try_acquire() else {
            self.health.short_circuited();
            return Err(AdapterError::CircuitOpen { department });
        };
        let deadline = tokio::time::Instant::now() + ctx.remaining();
        let Some(_place) = self.budget.admit(deadline, ctx.background).await else {
            // Waiting for the budget used up the deadline; the department was not asked.
            return Err(timeout);
        };
        let budget = self.tuning.timeout.min(ctx.remaining());
        if budget < retry::MIN_ATTEMPT {
            return Err(timeout);
        }
        let _in_flight = self.health.start();
        let started = Instant::now();
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|e| transport(department, &e))?;
            let status = response.status();
            span.record("http.response.status_code", status.as_u16());
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(retry::parse_retry_after);
            let body = response
                .bytes()
                .await
                .map_err(|e| transport(department, &e))?;
            Ok(Answer {
                status,
                retry_after,
                body,
            })
        };
        let result = match tokio::time::timeout(budget, exchange).await {
            Err(_) => Err(timeout),
            Ok(Err(e)) => Err(e),
            Ok(Ok(answer)) => read(answer),
        };
        let error = result.as_ref().err();
        self.health.finish(started.elapsed(), error);
        let outcome = match error {
            None => Outcome::Success,
            Some(e) if e.trips_breaker() => Outcome::Failure,
            // It answered, if only to refuse: the department is up.
            Some(AdapterError::Rejected { .. } | AdapterError::InvalidInput { .. }) => {
                Outcome::Success
            }
            Some(_) => Outcome::Neutral,
        };
        self.breaker.record(permit, outcome);
        result
    }
}

/// The outcome of a call or attempt as the spans name it: `ok` or the error's kind.
fn outcome_name(error: Option<&AdapterError>) -> &'static str {
    error.map_or("ok", |e| e.kind().as_str())
}

/// A transport failure: no connection, a timeout inside reqwest, or a connection lost
/// mid-answer. The reqwest error (which names the URL) is not kept.
fn transport(department: Department, error: &reqwest::Error) -> AdapterError {
    if error.is_timeout() {
        AdapterError::Timeout { department }
    } else if error.is_connect() {
        AdapterError::Unavailable {
            department,
            reason: Unavailability::Connect,
        }
    } else {
        AdapterError::Unavailable {
            department,
            reason: Unavailability::ConnectionLost,
        }
    }
}
