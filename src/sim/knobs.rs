//! Fault knobs and call statistics, shared by the four simulators.
//!
//! Every simulator takes [`Knobs`] at start and changes them at run time through its admin
//! endpoint (`GET`/`PUT /__sim/knobs`, a partial JSON object on `PUT`) or the in-process
//! [`KnobHandle`]. Each request passes [`KnobHandle::admit`] before it is answered: outage,
//! rate limit, calls in flight, latency, injected errors and garbage, in that order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use actix_web::http::header;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How a department is down.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Outage {
    /// Up.
    #[default]
    None,
    /// Every call answers HTTP 503 from the department's gateway.
    Unavailable,
    /// Calls are accepted and never answered (the client's timeout decides).
    Hang,
    /// The response head is sent, then the connection is dropped mid-body.
    Reset,
}

/// The fault knobs of one simulator.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Knobs {
    /// Fixed latency added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// Extra latency drawn uniformly from 0..=jitter_ms.
    pub jitter_ms: u64,
    /// Share of calls (0..=1) answered with the department's own failure.
    pub error_rate: f64,
    /// Requests per second before 429 / "busy" answers (0 = unlimited).
    pub rate_limit_per_sec: u32,
    /// Calls in flight before "busy" answers (0 = unlimited).
    pub max_in_flight: u32,
    pub outage: Outage,
    /// Share of answers (0..=1) cut in half: invalid JSON or XML on the wire.
    pub garbage_rate: f64,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            jitter_ms: 0,
            error_rate: 0.0,
            rate_limit_per_sec: 0,
            max_in_flight: 0,
            outage: Outage::None,
            garbage_rate: 0.0,
        }
    }
}

/// Call counters of one simulator (`GET /__sim/stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Every request that reached a department endpoint.
    pub requests: u64,
    /// Answered with data or a business answer (including "not found").
    pub served: u64,
    pub rate_limited: u64,
    pub busy: u64,
    pub injected_errors: u64,
    pub outages: u64,
    pub garbage: u64,
    pub max_in_flight_seen: u32,
    /// Requests per operation (e.g. `1101`, `batchQuery`, `QueryAssistanceByVillage`).
    pub by_operation: BTreeMap<String, u64>,
    /// Persons asked about (a batch of 100 counts 100).
    pub persons_asked: u64,
    /// The W3C `traceparent` headers of the last requests that carried one, oldest first
    /// (at most [`TRACEPARENTS_KEPT`]): a department that traces would continue these.
    pub traceparents: Vec<String>,
}

/// How many `traceparent` headers [`Stats`] keeps.
pub const TRACEPARENTS_KEPT: usize = 256;

/// Why a request is not answered normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Outage(Outage),
    RateLimited { retry_after_secs: u64 },
    Busy,
    InjectedError,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Shared {
    knobs: RwLock<Knobs>,
    stats: Mutex<Stats>,
    in_flight: AtomicU32,
    bucket: Mutex<Bucket>,
    rng: Mutex<ChaCha8Rng>,
    sequence: AtomicU64,
}

/// A handle on a simulator's knobs and statistics; cheap to clone.
#[derive(Clone)]
pub struct KnobHandle(Arc<Shared>);

impl std::fmt::Debug for KnobHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("KnobHandle").field(&self.get()).finish()
    }
}

/// Holds a place among the calls in flight until dropped.
pub struct InFlight {
    shared: Arc<Shared>,
    /// Answer with a cut body.
    pub garbage: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl KnobHandle {
    pub fn new(knobs: Knobs) -> Self {
        let burst = f64::from(knobs.rate_limit_per_sec);
        Self(Arc::new(Shared {
            knobs: RwLock::new(knobs),
            stats: Mutex::new(Stats::default()),
            in_flight: AtomicU32::new(0),
            bucket: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(0x5eed)),
            sequence: AtomicU64::new(1),
        }))
    }

    pub fn get(&self) -> Knobs {
        self.0
            .knobs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set(&self, knobs: Knobs) {
        let mut bucket = self.0.bucket.lock().unwrap_or_else(|e| e.into_inner());
        bucket.tokens = f64::from(knobs.rate_limit_per_sec);
        bucket.last = Instant::now();
        *self.0.knobs.write().unwrap_or_else(|e| e.into_inner()) = knobs;
    }

    /// Changes some knobs: the fields present in `patch` (a JSON object) replace the
    /// current values.
    pub fn patch(&self, patch: &serde_json::Value) -> Result<Knobs, serde_json::Error> {
        let mut current = serde_json::to_value(self.get())?;
        if let (Some(target), Some(fields)) = (current.as_object_mut(), patch.as_object()) {
            for (key, value) in fields {
                target.insert(key.clone(), value.clone());
            }
        } else {
            current = patch.clone();
        }
        let knobs: Knobs = serde_json::from_value(current)?;
        self.set(knobs.clone());
        Ok(knobs)
    }

    pub fn stats(&self) -> Stats {
        self.0
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn reset_stats(&self) {
        *self.0.stats.lock().unwrap_or_else(|e| e.into_inner()) = Stats::default();
    }

    /// A process-unique number (tokens, message ids).
    pub(crate) fn next_sequence(&self) -> u64 {
        self.0.sequence.fetch_add(1, Ordering::SeqCst)
    }

    fn with_stats(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.0.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Keeps the `traceparent` a request came with.
    pub(crate) fn saw_traceparent(&self, value: &str) {
        self.with_stats(|s| {
            if s.traceparents.len() >= TRACEPARENTS_KEPT {
                s.traceparents.remove(0);
            }
            s.traceparents.push(value.to_owned());
        });
    }

    /// Counts a served answer about `persons` people.
    pub(crate) fn served(&self, persons: u64) {
        self.with_stats(|s| {
            s.served += 1;
            s.persons_asked += persons;
        });
    }

    fn draw(&self, probability: f64) -> bool {
        if probability <= 0.0 {
            return false;
        }
        let mut rng = self.0.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_bool(probability.min(1.0))
    }

    fn take_token(&self, rate: u32) -> Option<u64> {
        if rate == 0 {
            return None;
        }
        let mut bucket = self.0.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let rate = f64::from(rate);
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            None
        } else {
            Some(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Lets a request through the knobs, or says why not. Waits out the latency (holding
    /// its place in flight) and, in the `hang` outage, for an hour.
    pub(crate) async fn admit(&self, operation: &str) -> Result<InFlight, Rejection> {
        let knobs = self.get();
        self.with_stats(|s| {
            s.requests += 1;
            // The operation's name is allocated once, on its first call.
            match s.by_operation.get_mut(operation) {
                Some(count) => *count += 1,
                None => {
                    s.by_operation.insert(operation.to_owned(), 1);
                }
            }
        });
        if knobs.outage != Outage::None {
            self.with_stats(|s| s.outages += 1);
            if knobs.outage == Outage::Hang {
                tokio::time::sleep(Duration::from_secs(3_600)).await;
            }
            return Err(Rejection::Outage(knobs.outage));
        }
        if let Some(retry_after_secs) = self.take_token(knobs.rate_limit_per_sec) {
            self.with_stats(|s| s.rate_limited += 1);
            return Err(Rejection::RateLimited { retry_after_secs });
        }
        let now = self.0.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut guard = InFlight {
            shared: self.0.clone(),
            garbage: false,
        };
        if knobs.max_in_flight > 0 && now > knobs.max_in_flight {
            self.with_stats(|s| s.busy += 1);
            return Err(Rejection::Busy);
        }
        self.with_stats(|s| s.max_in_flight_seen = s.max_in_flight_seen.max(now));
        let jitter = if knobs.jitter_ms > 0 {
            let mut rng = self.0.rng.lock().unwrap_or_else(|e| e.into_inner());
            rng.random_range(0..=knobs.jitter_ms)
        } else {
            0
        };
        // Capped at an hour: a client has given up long before.
        let delay = knobs.latency_ms.saturating_add(jitter).min(3_600_000);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if self.draw(knobs.error_rate) {
            self.with_stats(|s| s.injected_errors += 1);
            return Err(Rejection::InjectedError);
        }
        let garbage = self.draw(knobs.garbage_rate);
        if garbage {
            self.with_stats(|s| s.garbage += 1);
        }
        guard.garbage = garbage;
        Ok(guard)
    }
}

/// The answer of a department's gateway when it is down (the same for all four).
pub(crate) fn outage_response(outage: Outage) -> HttpResponse {
    match outage {
        Outage::Reset => {
            let body = futures_util::stream::once(async {
                Err::<actix_web::web::Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped by the outage knob",
                ))
            });
            HttpResponse::Ok()
                .content_type("application/octet-stream")
                .streaming(body)
        }
        _ => HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "30"))
            .content_type("text/html")
            .body("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
    }
}

/// Cuts a body in half when the garbage knob says so.
pub(crate) fn maybe_garble(body: Vec<u8>, garbage: bool) -> Vec<u8> {
    if garbage {
        let mut body = body;
        body.truncate(body.len() / 2);
        body
    } else {
        body
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn patch_changes_only_the_fields_given_and_refuses_unknown_ones() {
        let handle = KnobHandle::new(Knobs {
            max_in_flight: 16,
            ..Knobs::default()
        });
        let knobs = handle
            .patch(&serde_json::json!({ "latency_ms": 40 }))
            .unwrap();
        assert_eq!(knobs.latency_ms, 40);
        assert_eq!(knobs.max_in_flight, 16);
        assert!(handle.patch(&serde_json::json!({ "latency": 1 })).is_err());
        assert!(
            handle
                .patch(&serde_json::json!({ "outage": "sideways" }))
                .is_err()
        );
        assert_eq!(handle.get().latency_ms, 40);
    }

    #[tokio::test]
    async fn rate_limit_allows_a_burst_then_asks_to_retry() {
        let handle = KnobHandle::new(Knobs {
            rate_limit_per_sec: 3,
            ..Knobs::default()
        });
        for _ in 0..3 {
            assert!(handle.admit("x").await.is_ok());
        }
        assert_eq!(
            handle.admit("x").await.err(),
            Some(Rejection::RateLimited {
                retry_after_secs: 1
            })
        );
        let stats = handle.stats();
        assert_eq!((stats.requests, stats.rate_limited), (4, 1));
        assert_eq!(stats.by_operation["x"], 4);
    }

    #[tokio::test]
    async fn in_flight_places_are_released() {
        let handle = KnobHandle::new(Knobs {
            max_in_flight: 1,
            ..Knobs::default()
        });
        let first = handle.admit("x").await.unwrap();
        assert_eq!(handle.admit("x").await.err(), Some(Rejection::Busy));
        drop(first);
        assert!(handle.admit("x").await.is_ok());
    }

    #[test]
    fn garbage_cuts_the_body() {
        assert_eq!(maybe_garble(b"{\"a\":1}".to_vec(), true), b"{\"a".to_vec());
        assert_eq!(maybe_garble(b"ok".to_vec(), false), b"ok".to_vec());
    }
}
