//! A circuit breaker per department: closed → open after N consecutive failures →
//! half-open after a cool-down, letting one probe through → closed on its success, open
//! again on its failure.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The state of a department's circuit, as integrators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail at once until the cool-down ends.
    Open,
    /// The cool-down has ended: the next call is a probe (others wait for its outcome).
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }

    /// 0 closed, 1 half-open, 2 open (the metric's value).
    pub fn as_number(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::HalfOpen => 1,
            Self::Open => 2,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// The breaker of one department.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

/// Leave to make one call; report its outcome with [`Breaker::record`]. A permit dropped
/// unreported (the call was cancelled) frees the probe slot without changing the state.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    done: bool,
}

/// How a call ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The department answered usefully.
    Success,
    /// The department looks unhealthy.
    Failure,
    /// Says nothing about its health (e.g. throttled): the probe is given back.
    Neutral,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere mid-update of a plain enum.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state at `now`.
    pub(crate) fn state_at(&self, now: Instant) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if now >= until => BreakerState::HalfOpen,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// The state now.
    pub(crate) fn state(&self) -> BreakerState {
        self.state_at(Instant::now())
    }

    /// Leave for one call at `now`, or `None` while the circuit is open (or a probe is
    /// already out).
    pub(crate) fn try_acquire_at(&self, now: Instant) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let probe = match *state {
            State::Closed { .. } => false,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { probing: true };
                true
            }
            State::Open { .. } | State::HalfOpen { probing: true } => return None,
            State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                true
            }
        };
        Some(Permit {
            breaker: self,
            probe,
            done: false,
        })
    }

    /// Leave for one call now.
    pub(crate) fn try_acquire(&self) -> Option<Permit<'_>> {
        self.try_acquire_at(Instant::now())
    }

    /// Reports the outcome of a permitted call that ended at `now`.
    pub(crate) fn record_at(&self, mut permit: Permit<'_>, outcome: Outcome, now: Instant) {
        permit.done = true;
        let mut state = self.lock();
        *state = match (*state, outcome) {
            (_, Outcome::Success) => State::Closed { failures: 0 },
            (State::HalfOpen { .. }, Outcome::Failure) if permit.probe => State::Open {
                until: now + self.cooldown,
            },
            (State::Closed { failures }, Outcome::Failure) => {
                let failures = failures.saturating_add(1);
                if failures >= self.threshold {
                    State::Open {
                        until: now + self.cooldown,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            (State::HalfOpen { .. }, Outcome::Neutral) if permit.probe => {
                State::HalfOpen { probing: false }
            }
            (other, _) => other,
        };
    }

    /// Reports the outcome of a permitted call that ended now.
    pub(crate) fn record(&self, permit: Permit<'_>, outcome: Outcome) {
        self.record_at(permit, outcome, Instant::now());
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe && !self.done {
            let mut state = self.breaker.lock();
            if let State::HalfOpen { probing: true } = *state {
                *state = State::HalfOpen { probing: false };
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const COOL: Duration = Duration::from_secs(10);

    fn fail(b: &Breaker, now: Instant) {
        let p = b.try_acquire_at(now).unwrap();
        b.record_at(p, Outcome::Failure, now);
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = Breaker::new(3, COOL);
        let t = Instant::now();
        fail(&b, t);
        fail(&b, t);
        let p = b.try_acquire_at(t).unwrap();
        b.record_at(p, Outcome::Success, t);
        fail(&b, t);
        fail(&b, t);
        assert_eq!(b.state_at(t), BreakerState::Closed);
        fail(&b, t);
        assert_eq!(b.state_at(t), BreakerState::Open);
        assert!(b.try_acquire_at(t + Duration::from_secs(1)).is_none());
    }

    #[test]
    fn half_open_lets_one_probe_and_closes_on_success() {
        let b = Breaker::new(1, COOL);
        let t = Instant::now();
        fail(&b, t);
        let later = t + COOL;
        assert_eq!(b.state_at(later), BreakerState::HalfOpen);
        let probe = b.try_acquire_at(later).unwrap();
        assert!(b.try_acquire_at(later).is_none(), "one probe at a time");
        b.record_at(probe, Outcome::Success, later);
        assert_eq!(b.state_at(later), BreakerState::Closed);
        assert!(b.try_acquire_at(later).is_some());
    }

    #[test]
    fn a_failed_probe_opens_again_for_a_full_cooldown() {
        let b = Breaker::new(1, COOL);
        let t = Instant::now();
        fail(&b, t);
        let later = t + COOL;
        fail(&b, later);
        assert_eq!(b.state_at(later + COOL / 2), BreakerState::Open);
        assert_eq!(b.state_at(later + COOL), BreakerState::HalfOpen);
    }

    #[test]
    fn a_cancelled_or_neutral_probe_frees_the_slot() {
        let b = Breaker::new(1, COOL);
        let t = Instant::now();
        fail(&b, t);
        let later = t + COOL;
        drop(b.try_acquire_at(later).unwrap());
        let probe = b.try_acquire_at(later).unwrap();
        b.record_at(probe, Outcome::Neutral, later);
        assert_eq!(b.state_at(later), BreakerState::HalfOpen);
        assert!(b.try_acquire_at(later).is_some());
    }
}
