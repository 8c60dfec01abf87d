//! The health figures of every department as Prometheus metrics, computed from the same
//! snapshots as the health query at each scrape (one source of truth).

use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts};

use super::Upstream;

/// A Prometheus collector over the departments' health.
pub(crate) struct HealthCollector {
    upstreams: Vec<Arc<Upstream>>,
    configured: IntGaugeVec,
    breaker: IntGaugeVec,
    latency: GaugeVec,
    attempts: IntCounterVec,
    errors: IntCounterVec,
    rate_limited: IntCounterVec,
    timeouts: IntCounterVec,
    short_circuited: IntCounterVec,
    in_flight: IntGaugeVec,
    last_success: GaugeVec,
    last_failure: GaugeVec,
}

impl HealthCollector {
    pub(crate) fn new(upstreams: Vec<Arc<Upstream>>) -> Result<Self, prometheus::Error> {
        let dept = &["department"];
        let counter = |name: &str, help: &str| IntCounterVec::new(Opts::new(name, help), dept);
        Ok(Self {
            upstreams,
            configured: IntGaugeVec::new(
                Opts::new(
                    "department_configured",
                    "1 if the department has a base URL",
                ),
                dept,
            )?,
            breaker: IntGaugeVec::new(
                Opts::new(
                    "department_breaker_state",
                    "Circuit breaker: 0 closed, 1 half-open, 2 open",
                ),
                dept,
            )?,
            latency: GaugeVec::new(
                Opts::new(
                    "department_latency_seconds",
                    "Latency of the most recent attempts at the 50th, 95th and 99th percentile",
                ),
                // Not `quantile`: that label is reserved for summaries.
                &["department", "percentile"],
            )?,
            attempts: counter("department_attempts_total", "HTTP exchanges attempted")?,
            errors: counter("department_errors_total", "Attempts that failed")?,
            rate_limited: counter(
                "department_rate_limited_total",
                "Attempts answered with HTTP 429",
            )?,
            timeouts: counter("department_timeouts_total", "Attempts that ran out of time")?,
            short_circuited: counter(
                "department_short_circuited_total",
                "Calls refused at once by an open circuit",
            )?,
            in_flight: IntGaugeVec::new(
                Opts::new("department_calls_in_flight", "Attempts in flight"),
                dept,
            )?,
            last_success: GaugeVec::new(
                Opts::new(
                    "department_last_success_timestamp_seconds",
                    "Unix time of the last successful attempt",
                ),
                dept,
            )?,
            last_failure: GaugeVec::new(
                Opts::new(
                    "department_last_failure_timestamp_seconds",
                    "Unix time of the last failed attempt",
                ),
                dept,
            )?,
        })
    }

    fn refresh(&self) {
        for upstream in &self.upstreams {
            let h = upstream.health();
            let d = [h.department.as_str()];
            self.configured
                .with_label_values(&d)
                .set(i64::from(h.configured));
            self.breaker
                .with_label_values(&d)
                .set(h.breaker.as_number());
            if let Some(l) = h.latency {
                for (q, v) in [("50", l.p50), ("95", l.p95), ("99", l.p99)] {
                    self.latency
                        .with_label_values(&[h.department.as_str(), q])
                        .set(v.as_secs_f64());
                }
            }
            for (vec, value) in [
                (&self.attempts, h.attempts),
                (&self.errors, h.errors),
                (&self.rate_limited, h.rate_limited),
                (&self.timeouts, h.timeouts),
                (&self.short_circuited, h.short_circuited),
            ] {
                let c = vec.with_label_values(&d);
                c.reset();
                c.inc_by(value);
            }
            self.in_flight
                .with_label_values(&d)
                .set(i64::try_from(h.in_flight).unwrap_or(i64::MAX));
            if let Some(t) = h.last_success {
                self.last_success
                    .with_label_values(&d)
                    .set(t.timestamp_millis() as f64 / 1000.0);
            }
            if let Some((t, _)) = h.last_failure {
                self.last_failure
                    .with_label_values(&d)
                    .set(t.timestamp_millis() as f64 / 1000.0);
            }
        }
    }

    fn parts(&self) -> [&dyn Collector; 11] {
        [
            &self.configured,
            &self.breaker,
            &self.latency,
            &self.attempts,
            &self.errors,
            &self.rate_limited,
            &self.timeouts,
            &self.short_circuited,
            &self.in_flight,
            &self.last_success,
            &self.last_failure,
        ]
    }
}

impl Collector for HealthCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.parts().into_iter().flat_map(|c| c.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        self.parts().into_iter().flat_map(|c| c.collect()).collect()
    }
}
