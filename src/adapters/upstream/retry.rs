//! When to try a safe read again: exponential backoff with full jitter, `Retry-After`
//! honoured when the wait fits before the deadline, and never an attempt started so late
//! that it cannot finish.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::super::AdapterError;
use crate::adapters::settings::Tuning;

/// Below this much time left, a new attempt is not worth starting.
pub(crate) const MIN_ATTEMPT: Duration = Duration::from_millis(10);

/// The full-jitter backoff before retry number `attempt` (0 for the first retry):
/// uniform in `0..=min(max, base·2^attempt)`, `unit` being a number in `[0, 1)`.
pub(crate) fn backoff(attempt: u32, base: Duration, max: Duration, unit: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(20));
    let ceiling = base.saturating_mul(factor).min(max);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// Reads a `Retry-After` header given in seconds; an HTTP date is ignored (the
/// departments send seconds, and a clock skew would make a date meaningless).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// How long to wait before retrying after `error` (retry number `attempt`), or `None`
/// if the call should fail now: not retryable, out of attempts, or the wait would not
/// leave time for an attempt before the deadline (`remaining`).
pub(crate) fn next_delay(
    error: &AdapterError,
    attempt: u32,
    tuning: &Tuning,
    remaining: Duration,
    unit: f64,
) -> Option<Duration> {
    if !error.is_retryable() || attempt >= tuning.retries {
        return None;
    }
    let delay = match error {
        AdapterError::RateLimited {
            retry_after: Some(wait),
            ..
        } => {
            if *wait > tuning.max_backoff {
                return None;
            }
            *wait
        }
        _ => backoff(attempt, tuning.backoff, tuning.max_backoff, unit),
    };
    (delay.saturating_add(MIN_ATTEMPT) < remaining).then_some(delay)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);
static SEED: OnceLock<u64> = OnceLock::new();

/// A number in `[0, 1)` for jitter: splitmix64 over a process-wide counter seeded from
/// the clock (no cryptographic quality needed, only spread between callers).
pub(crate) fn jitter_unit() -> f64 {
    let seed = *SEED.get_or_init(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let mut z = seed ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Department;

    fn tuning() -> Tuning {
        Tuning {
            retries: 3,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Tuning::default()
        }
    }

    const TIMEOUT: AdapterError = AdapterError::Timeout {
        department: Department::SocialSecurity,
    };

    #[test]
    fn backoff_doubles_up_to_the_ceiling_with_full_jitter() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        assert_eq!(
            backoff(0, base, max, 0.999_999),
            Duration::from_millis(100) * 999_999 / 1_000_000
        );
        assert_eq!(backoff(2, base, max, 0.5), Duration::from_millis(200));
        assert_eq!(backoff(10, base, max, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(3, base, max, 0.0), Duration::ZERO);
        assert_eq!(backoff(u32::MAX, base, max, 1.0), max);
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn retry_after_is_honoured_when_it_fits_before_the_deadline() {
        let limited = AdapterError::RateLimited {
            department: Department::SocialSecurity,
            retry_after: Some(Duration::from_secs(1)),
        };
        let t = tuning();
        assert_eq!(
            next_delay(&limited, 0, &t, Duration::from_secs(3), 0.5),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            next_delay(&limited, 0, &t, Duration::from_millis(900), 0.5),
            None
        );
        let long = AdapterError::RateLimited {
            department: Department::SocialSecurity,
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(next_delay(&long, 0, &t, Duration::from_secs(60), 0.5), None);
    }

    #[test]
    fn no_retry_when_out_of_attempts_time_or_for_a_refusal() {
        let t = tuning();
        assert!(next_delay(&TIMEOUT, 0, &t, Duration::from_secs(5), 0.5).is_some());
        assert_eq!(
            next_delay(&TIMEOUT, 3, &t, Duration::from_secs(5), 0.5),
            None
        );
        assert_eq!(
            next_delay(&TIMEOUT, 0, &t, Duration::from_millis(5), 0.0),
            None
        );
        let decode = AdapterError::decode(Department::SocialSecurity, "invalid JSON");
        assert_eq!(
            next_delay(&decode, 0, &t, Duration::from_secs(5), 0.5),
            None
        );
    }

    #[test]
    fn jitter_stays_in_the_unit_interval() {
        for _ in 0..1000 {
            let u = jitter_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
