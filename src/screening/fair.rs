//! A run's fair share of one department: at most `share × capacity` calls in flight and
//! at most the allowed rate, so interactive requests keep the rest. When the department
//! says busy or 429, the whole lane pauses for the wait it asked for (or a doubling
//! backoff) before the call is tried again.

use std::{
    future::Future,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::{sync::Semaphore, time::Instant};

use crate::{adapters::AdapterError, domain::Department};

/// Tries of one call while the department keeps saying busy.
const MAX_TRIES: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One department's share for one run.
pub struct Lane {
    pub department: Department,
    permits: Semaphore,
    allowed_in_flight: u32,
    /// Time between call starts; `None` without a rate cap.
    interval: Option<Duration>,
    next_start: Mutex<Instant>,
    calls: AtomicU64,
    persons: AtomicU64,
    backoffs: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    /// Nanoseconds spent in calls, summed over calls: divided by the run's time, the
    /// mean number of calls in flight.
    busy_nanos: AtomicU64,
}

/// How a run used one department.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneReport {
    pub department: Department,
    /// Department calls made (each retry after a busy answer counts).
    pub calls: u64,
    /// People those calls asked about.
    pub persons: u64,
    pub calls_per_sec: f64,
    /// The rate the run was allowed (`None`: no cap).
    pub allowed_per_sec: Option<f64>,
    pub peak_in_flight: u64,
    /// Calls in flight on average over the run.
    pub mean_in_flight: f64,
    pub allowed_in_flight: u32,
    /// Pauses after a busy or rate-limited answer.
    pub backoffs: u64,
}

impl LaneReport {
    /// How much of what the department allows the run used: its rate or its calls in
    /// flight, whichever binds (the larger share), from 0 to 1.
    pub fn use_of_allowance(&self) -> f64 {
        let in_flight = self.mean_in_flight / f64::from(self.allowed_in_flight.max(1));
        let rate = self
            .allowed_per_sec
            .map_or(0.0, |allowed| self.calls_per_sec / allowed);
        in_flight.max(rate)
    }
}

impl Lane {
    /// A lane allowing `share` of `capacity` calls in flight (at least one) and
    /// `rate_per_sec` calls a second (0: uncapped).
    pub fn new(department: Department, capacity: u32, share: f64, rate_per_sec: f64) -> Self {
        let allowed = ((f64::from(capacity) * share).floor() as u32).max(1);
        Self {
            department,
            permits: Semaphore::new(allowed as usize),
            allowed_in_flight: allowed,
            interval: (rate_per_sec > 0.0).then(|| Duration::from_secs_f64(1.0 / rate_per_sec)),
            next_start: Mutex::new(Instant::now()),
            calls: AtomicU64::new(0),
            persons: AtomicU64::new(0),
            backoffs: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            busy_nanos: AtomicU64::new(0),
        }
    }

    /// Calls in flight this lane allows.
    pub fn allowed_in_flight(&self) -> usize {
        self.allowed_in_flight as usize
    }

    /// Runs `call` (about `persons` people) within the share, retrying while the
    /// department says busy or rate-limited.
    pub async fn run<T, F, Fut>(&self, persons: u64, mut call: F) -> Result<T, AdapterError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AdapterError>>,
    {
        let mut backoff = FIRST_BACKOFF;
        let mut tries = 0;
        loop {
            tries += 1;
            let result = {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = self.permits.acquire().await.ok();
                self.pace().await;
                let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
                self.calls.fetch_add(1, Ordering::Relaxed);
                let started = Instant::now();
                let result = call().await;
                self.in_flight.fetch_sub(1, Ordering::Relaxed);
                let busy = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                self.busy_nanos.fetch_add(busy, Ordering::Relaxed);
                result
            };
            let wait = match &result {
                Err(AdapterError::RateLimited { retry_after, .. }) => {
                    retry_after.unwrap_or(backoff).min(MAX_BACKOFF)
                }
                Err(AdapterError::Busy { .. } | AdapterError::CircuitOpen { .. }) => backoff,
                _ => {
                    if result.is_ok() {
                        self.persons.fetch_add(persons, Ordering::Relaxed);
                    }
                    return result;
                }
            };
            if tries >= MAX_TRIES {
                return result;
            }
            self.backoffs.fetch_add(1, Ordering::Relaxed);
            self.hold_back(wait);
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Waits for this call's start slot.
    async fn pace(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self
                .next_start
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// No call of the lane starts within `wait` from now.
    fn hold_back(&self, wait: Duration) {
        let mut next = self
            .next_start
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *next = (*next).max(Instant::now() + wait);
    }

    /// The lane's figures over `elapsed`.
    pub fn report(&self, elapsed: Duration) -> LaneReport {
        let calls = self.calls.load(Ordering::Relaxed);
        let secs = elapsed.as_secs_f64().max(1e-3);
        LaneReport {
            department: self.department,
            calls,
            persons: self.persons.load(Ordering::Relaxed),
            calls_per_sec: calls as f64 / secs,
            allowed_per_sec: self.interval.map(|i| 1.0 / i.as_secs_f64()),
            peak_in_flight: self.peak_in_flight.load(Ordering::Relaxed),
            mean_in_flight: self.busy_nanos.load(Ordering::Relaxed) as f64 / 1e9 / secs,
            allowed_in_flight: self.allowed_in_flight,
            backoffs: self.backoffs.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_lane_never_exceeds_its_share_of_calls_in_flight() {
        let lane = Arc::new(Lane::new(Department::MedicalInsurance, 16, 0.25, 0.0));
        assert_eq!(lane.allowed_in_flight(), 4);
        let calls = (0..40).map(|_| {
            let lane = lane.clone();
            async move {
                lane.run(1, || async {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    Ok::<_, AdapterError>(())
                })
                .await
            }
        });
        for result in futures_util::future::join_all(calls).await {
            assert!(result.is_ok());
        }
        let report = lane.report(Duration::from_secs(1));
        assert_eq!(report.calls, 40);
        assert!(report.peak_in_flight <= 4, "{report:?}");
    }

    #[tokio::test]
    async fn a_lane_kept_full_reports_its_calls_in_flight_as_used() {
        let lane = Arc::new(Lane::new(Department::MedicalInsurance, 8, 0.5, 0.0));
        let started = Instant::now();
        let calls = (0..40).map(|_| {
            let lane = lane.clone();
            async move {
                lane.run(1, || async {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Ok::<_, AdapterError>(())
                })
                .await
            }
        });
        futures_util::future::join_all(calls).await;
        let report = lane.report(started.elapsed());
        // 40 calls of 10 ms, 4 at a time: the 4 places were taken the whole time.
        assert!(
            report.mean_in_flight > 3.0 && report.mean_in_flight <= 4.0,
            "{report:?}"
        );
        assert!(report.use_of_allowance() > 0.75, "{report:?}");
        let idle = lane.report(started.elapsed() * 4);
        assert!(idle.use_of_allowance() < 0.3, "{idle:?}");
    }

    #[tokio::test]
    async fn a_lane_keeps_to_its_rate() {
        let lane = Lane::new(Department::CivilAffairs, 16, 1.0, 1000.0);
        let started = Instant::now();
        for _ in 0..50 {
            let _ = lane.run(1, || async { Ok::<_, AdapterError>(()) }).await;
        }
        // 50 starts 1 ms apart: the last starts 49 ms after the first.
        assert!(started.elapsed() >= Duration::from_millis(49));
    }

    #[tokio::test]
    async fn a_busy_department_is_waited_for_and_asked_again() {
        let lane = Lane::new(Department::SocialSecurity, 4, 0.5, 0.0);
        let mut answers = vec![
            Ok(7),
            Err(AdapterError::RateLimited {
                department: Department::SocialSecurity,
                retry_after: Some(Duration::from_millis(200)),
            }),
            Err(AdapterError::Busy {
                department: Department::SocialSecurity,
            }),
        ];
        let started = Instant::now();
        let result = lane
            .run(1, || std::future::ready(answers.pop().unwrap_or(Ok(0))))
            .await;
        assert_eq!(result.ok(), Some(7));
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(lane.report(Duration::from_secs(1)).backoffs, 2);
    }
}
