//! The OAuth2 client-credentials token of the register: fetched once, shared by all
//! calls, renewed shortly before it expires and at once when the register says it no
//! longer holds (401). One renewal at a time.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::Mutex;

/// A token and the moment to stop using it.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub value: SecretString,
    pub renew_at: Instant,
    /// Tells a stale 401 (for an already-replaced token) from a current one.
    pub generation: u64,
}

/// The cached token.
#[derive(Debug, Default)]
pub(super) struct TokenCache {
    current: Mutex<Option<Token>>,
    generations: std::sync::atomic::AtomicU64,
}

/// When to renew a token that lives `expires_in`: `margin` before the end; for a
/// token too short-lived for that margin, at four fifths of its life.
pub(super) fn renew_after(expires_in: Duration, margin: Duration) -> Duration {
    if margin.saturating_mul(2) < expires_in {
        expires_in - margin
    } else {
        expires_in.mul_f64(0.8)
    }
}

impl TokenCache {
    /// The lock to hold while checking or renewing the token (renewals are one at a
    /// time; waiting callers then see the new token).
    pub(super) async fn lock(&self) -> tokio::sync::MutexGuard<'_, Option<Token>> {
        self.current.lock().await
    }

    pub(super) fn next_generation(&self) -> u64 {
        self.generations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    /// Forgets the token of `generation` (the register refused it).
    pub(super) async fn invalidate(&self, generation: u64) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_comes_before_expiry() {
        let s = Duration::from_secs;
        assert_eq!(renew_after(s(300), s(30)), s(270));
        assert_eq!(renew_after(s(60), s(30)), s(48));
        assert_eq!(renew_after(s(3600), s(30)), s(3570));
        assert_eq!(renew_after(s(2), s(30)), Duration::from_millis(1600));
        assert_eq!(renew_after(s(0), s(30)), s(0));
    }
}
