//! What integrators see of a department: breaker state, recent latency percentiles,
//! error and rate-limit counts, last success, calls in flight.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::breaker::BreakerState;
use crate::adapters::error::{AdapterError, ErrorKind};
use crate::domain::Department;

/// Latencies kept for the percentiles (the most recent attempts).
const WINDOW: usize = 1024;

/// A snapshot of one department's health.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentHealth {
    pub department: Department,
    /// Whether the department has a base URL in the settings.
    pub configured: bool,
    pub breaker: BreakerState,
    /// Percentiles over the most recent attempts (`None` before the first one).
    pub latency: Option<LatencyPercentiles>,
    /// HTTP exchanges attempted (each retry counts).
    pub attempts: u64,
    /// Attempts that failed, whatever the kind (rate limiting included).
    pub errors: u64,
    /// Attempts answered with "slow down" (HTTP 429).
    pub rate_limited: u64,
    /// Attempts that ran out of time.
    pub timeouts: u64,
    /// Calls refused at once because the circuit was open.
    pub short_circuited: u64,
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure and its kind.
    pub last_failure: Option<(DateTime<Utc>, ErrorKind)>,
    pub in_flight: u64,
}

/// Latency percentiles of recent attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyPercentiles {
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    /// How many attempts they are computed over.
    pub samples: usize,
}

/// The running figures of one department (updated by every attempt).
#[derive(Debug, Default)]
pub(crate) struct HealthRecorder {
    latencies: Mutex<VecDeque<Duration>>,
    attempts: AtomicU64,
    errors: AtomicU64,
    rate_limited: AtomicU64,
    timeouts: AtomicU64,
    short_circuited: AtomicU64,
    in_flight: AtomicU64,
    last: Mutex<Last>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Last {
    success: Option<DateTime<Utc>>,
    failure: Option<(DateTime<Utc>, ErrorKind)>,
}

/// Counts one attempt in flight until dropped.
pub(crate) struct InFlightGuard<'a>(&'a HealthRecorder);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl HealthRecorder {
    pub(crate) fn start(&self) -> InFlightGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.attempts.fetch_add(1, Ordering::Relaxed);
        InFlightGuard(self)
    }

    pub(crate) fn short_circuited(&self) {
        self.short_circuited.fetch_add(1, Ordering::Relaxed);
    }

    /// Records an attempt that took `latency` and ended with `error` (if it failed).
    pub(crate) fn finish(&self, latency: Duration, error: Option<&AdapterError>) {
        {
            let mut window = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
            if window.len() == WINDOW {
                window.pop_front();
            }
            window.push_back(latency);
        }
        let now = Utc::now();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        match error {
            None => last.success = Some(now),
            Some(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                match e.kind() {
                    ErrorKind::RateLimited => {
                        self.rate_limited.fetch_add(1, Ordering::Relaxed);
                    }
                    ErrorKind::Timeout => {
                        self.timeouts.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
                last.failure = Some((now, e.kind()));
            }
        }
    }

    pub(crate) fn snapshot(
        &self,
        department: Department,
        configured: bool,
        breaker: BreakerState,
    ) -> DepartmentHealth {
        let latency = {
            let window = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
            percentiles(window.iter().copied().collect())
        };
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        DepartmentHealth {
            department,
            configured,
            breaker,
            latency,
            attempts: self.attempts.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            short_circuited: self.short_circuited.load(Ordering::Relaxed),
            last_success: last.success,
            last_failure: last.failure,
            in_flight: self.in_flight.load(Ordering::Relaxed),
        }
    }
}

/// Nearest-rank percentiles.
fn percentiles(mut samples: Vec<Duration>) -> Option<LatencyPercentiles> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = |p: usize| {
        let index = (p * samples.len()).div_ceil(100).saturating_sub(1);
        samples[index.min(samples.len() - 1)]
    };
    Some(LatencyPercentiles {
        p50: rank(50),
        p95: rank(95),
        p99: rank(99),
        samples: samples.len(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let p = percentiles(samples).unwrap();
        assert_eq!(p.p50, Duration::from_millis(50));
        assert_eq!(p.p95, Duration::from_millis(95));
        assert_eq!(p.p99, Duration::from_millis(99));
        assert_eq!(
            percentiles(vec![Duration::from_millis(7)])
                .unwrap()
                .p99
                .as_millis(),
            7
        );
        assert!(percentiles(Vec::new()).is_none());
    }

    #[test]
    fn the_window_is_bounded_and_counters_add_up() {
        let h = HealthRecorder::default();
        for i in 0..(WINDOW + 10) {
            let _g = h.start();
            h.finish(Duration::from_millis(i as u64), None);
        }
        let e = AdapterError::RateLimited {
            department: Department::PublicSecurity,
            retry_after: None,
        };
        h.finish(Duration::ZERO, Some(&e));
        let s = h.snapshot(Department::PublicSecurity, true, BreakerState::Closed);
        assert_eq!(s.latency.unwrap().samples, WINDOW);
        assert_eq!(s.attempts, (WINDOW + 10) as u64);
        assert_eq!((s.errors, s.rate_limited, s.in_flight), (1, 1, 0));
        assert!(s.last_success.is_some());
        assert_eq!(s.last_failure.unwrap().1, ErrorKind::RateLimited);
    }
}
