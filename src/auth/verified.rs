//! Tokens this hub has already verified. An app sends the same bearer token with every
//! request; checking its signature and claims each time was a few percent of a request's
//! CPU. A token verified once is taken again, for at most a minute, while it is still
//! within its `exp`; a refused token is never kept, so it is checked anew every time.
//!
//! The key is the token's SHA-256: the cache holds no token, and looking one up compares
//! digests, which tells a caller nothing about a token it does not already hold. Whatever
//! a token's verification depends on besides time (its signature, issuer, audience, role
//! and region) is in the token itself, so the same bytes verify the same way; the checks
//! that depend on time either stay passed once passed (`nbf`, `iat`, the lifetime) or are
//! repeated on every hit (`exp`).

use std::{
    num::NonZeroUsize,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use lru::LruCache;
use sha2::{Digest, Sha256};

use super::VerifiedToken;

/// How long a verified token is taken without checking its signature again: bounds how
/// long a key withdrawn from the JWKS still admits the tokens it signed.
const KEPT_FOR: Duration = Duration::from_secs(60);

/// How many tokens are kept: the people working with the hub in a minute, with room.
const CAPACITY: NonZeroUsize = match NonZeroUsize::new(2_048) {
    Some(capacity) => capacity,
    None => NonZeroUsize::MIN,
};

/// A token's SHA-256, the key it is kept under.
pub(super) type TokenDigest = [u8; 32];

pub(super) fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

struct Kept {
    verified: VerifiedToken,
    at: Instant,
}

/// The verified tokens, by digest.
pub(super) struct VerifiedTokens {
    kept: Mutex<LruCache<TokenDigest, Kept>>,
    kept_for: Duration,
}

impl VerifiedTokens {
    pub(super) fn new() -> Self {
        Self::with(CAPACITY, KEPT_FOR)
    }

    fn with(capacity: NonZeroUsize, kept_for: Duration) -> Self {
        Self {
            kept: Mutex::new(LruCache::new(capacity)),
            kept_for,
        }
    }

    /// The token verified under `digest`, if it was verified less than a minute ago and
    /// `now` is not past its `exp` (with the clock skew allowed).
    pub(super) fn get(&self, digest: &TokenDigest, now: DateTime<Utc>) -> Option<VerifiedToken> {
        let mut kept = self.kept.lock().ok()?;
        let entry = kept.get(digest)?;
        if entry.at.elapsed() < self.kept_for && now <= entry.verified.accepted_until {
            return Some(entry.verified.clone());
        }
        kept.pop(digest);
        None
    }

    pub(super) fn insert(&self, digest: TokenDigest, verified: &VerifiedToken) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.put(
                digest,
                Kept {
                    verified: verified.clone(),
                    at: Instant::now(),
                },
            );
        }
    }
}

// The digests are not for a log line either.
impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.kept.lock().map(|kept| kept.len()).unwrap_or(0);
        f.debug_struct("VerifiedTokens").field("len", &len).finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{
        auth::{Principal, Role},
        domain::RegionCode,
    };

    fn verified(subject: &str, until: DateTime<Utc>) -> VerifiedToken {
        VerifiedToken {
            principal: Principal {
                subject: subject.into(),
                role: Role::VillageAssistant,
                region: RegionCode::parse("220102001001").unwrap(),
                department: None,
                id_number: None,
                client: None,
            },
            accepted_until: until,
        }
    }

    #[test]
    fn a_token_is_found_by_its_own_digest_only() {
        let tokens = VerifiedTokens::new();
        let now = Utc::now();
        let later = now + chrono::TimeDelta::minutes(10);
        tokens.insert(digest("token-a"), &verified("a", later));
        tokens.insert(digest("token-b"), &verified("b", later));
        let a = tokens.get(&digest("token-a"), now).unwrap();
        assert_eq!(a.principal.subject, "a");
        assert_eq!(a.accepted_until, later);
        assert_eq!(
            tokens
                .get(&digest("token-b"), now)
                .unwrap()
                .principal
                .subject,
            "b"
        );
        assert!(tokens.get(&digest("token-c"), now).is_none());
    }

    #[test]
    fn an_expired_token_is_not_taken_and_is_let_go() {
        let tokens = VerifiedTokens::new();
        let now = Utc::now();
        let until = now + chrono::TimeDelta::seconds(5);
        tokens.insert(digest("t"), &verified("a", until));
        assert!(tokens.get(&digest("t"), until).is_some());
        let past = until + chrono::TimeDelta::seconds(1);
        assert!(tokens.get(&digest("t"), past).is_none());
        // Gone, not only refused at that moment.
        assert!(tokens.get(&digest("t"), now).is_none());
    }

    #[test]
    fn a_token_is_verified_again_after_the_time_it_is_kept() {
        let tokens = VerifiedTokens::with(CAPACITY, Duration::from_millis(20));
        let now = Utc::now();
        let later = now + chrono::TimeDelta::minutes(10);
        tokens.insert(digest("t"), &verified("a", later));
        assert!(tokens.get(&digest("t"), now).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(tokens.get(&digest("t"), now).is_none());
    }

    #[test]
    fn the_least_recently_used_token_makes_room() {
        let tokens = VerifiedTokens::with(NonZeroUsize::new(2).unwrap(), KEPT_FOR);
        let now = Utc::now();
        let later = now + chrono::TimeDelta::minutes(10);
        for name in ["a", "b", "c"] {
            tokens.insert(digest(name), &verified(name, later));
        }
        assert!(tokens.get(&digest("a"), now).is_none());
        assert!(tokens.get(&digest("b"), now).is_some());
        assert!(tokens.get(&digest("c"), now).is_some());
    }
}
