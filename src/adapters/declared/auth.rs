//! Authentication of a declared system: an API key in a header, an OAuth2
//! client-credentials token (fetched once, renewed before it expires and when refused),
//! or a signature on every request.
//!
//! The signed form: headers `appId`, `timestamp` (Unix milliseconds), `nonce` (random,
//! 32 hex digits) and `sign`, the lowercase hex HMAC under the app secret of
//! `METHOD \n PATH \n sorted query \n timestamp \n nonce \n hex hash of the body`, where
//! the sorted query is `name=value` pairs (as decoded) sorted and joined by `&`, and the
//! hash is SM3 for HMAC-SM3 (GB/T 32905) and SHA-256 for HMAC-SHA256. Each attempt
//! signs afresh, so a retry is never refused as a replay.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use tokio::sync::Mutex;

use super::definition::SignAlgorithm;

/// The credentials the settings give a declared system.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub api_key: Option<SecretString>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub app_id: Option<String>,
    pub app_secret: Option<SecretString>,
}

/// The headers of a signed request.
pub(crate) fn signature_headers(
    algorithm: SignAlgorithm,
    app_id: &str,
    secret: &str,
    method: &str,
    url: &url::Url,
    body: &[u8],
) -> [(&'static str, String); 4] {
    let timestamp = chrono::Utc::now().timestamp_millis().to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let canonical = canonical_form(algorithm, method, url, &timestamp, &nonce, body);
    let sign = hmac_hex(algorithm, secret.as_bytes(), canonical.as_bytes());
    [
        ("appId", app_id.to_owned()),
        ("timestamp", timestamp),
        ("nonce", nonce),
        ("sign", sign),
    ]
}

/// `METHOD\nPATH\nsorted query\ntimestamp\nnonce\nhex hash of the body`.
pub(crate) fn canonical_form(
    algorithm: SignAlgorithm,
    method: &str,
    url: &url::Url,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let body_hash = match algorithm {
        SignAlgorithm::HmacSm3 => hex::encode(Sm3::digest(body)),
        SignAlgorithm::HmacSha256 => hex::encode(Sha256::digest(body)),
    };
    format!(
        "{}\n{}\n{query}\n{timestamp}\n{nonce}\n{body_hash}",
        method.to_ascii_uppercase(),
        url.path()
    )
}

fn hmac_hex(algorithm: SignAlgorithm, key: &[u8], message: &[u8]) -> String {
    match algorithm {
        SignAlgorithm::HmacSm3 => match Hmac::<Sm3>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        },
        SignAlgorithm::HmacSha256 => match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        },
    }
}

/// An access token and when to stop using it.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub value: SecretString,
    pub renew_at: Instant,
    pub generation: u64,
}

/// The one token of a system; renewals one at a time.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    pub current: Mutex<Option<Token>>,
    generations: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    pub(crate) fn next_generation(&self) -> u64 {
        self.generations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    /// Forgets the token of `generation` (the system refused it).
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            *current = None;
        }
    }
}

/// Renew 30 s before the end, or at four fifths of a shorter life.
pub(crate) fn renew_after(expires_in: Duration) -> Duration {
    let margin = Duration::from_secs(30);
    if margin.saturating_mul(2) < expires_in {
        expires_in - margin
    } else {
        expires_in.mul_f64(0.8)
    }
}

/// The secret of a credential, if set and not empty.
pub(crate) fn secret(value: &Option<SecretString>) -> Option<&str> {
    value
        .as_ref()
        .map(|s| s.expose_secret())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sm3_matches_a_published_vector() {
        // SM3("abc") from GB/T 32905 appendix A.
        assert_eq!(
            hex::encode(Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        let a = hmac_hex(SignAlgorithm::HmacSm3, b"key", b"message");
        let b = hmac_hex(SignAlgorithm::HmacSm3, b"key", b"message");
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(a, hmac_hex(SignAlgorithm::HmacSm3, b"other", b"message"));
    }

    #[test]
    fn the_canonical_form_sorts_the_query_and_hashes_the_body() {
        let url = url::Url::parse("http://x/prr/v1/villages/1/households?offset=0&limit=100")
            .unwrap_or_else(|e| panic!("{e}"));
        let form = canonical_form(SignAlgorithm::HmacSm3, "get", &url, "1", "n", b"");
        let lines: Vec<&str> = form.split('\n').collect();
        assert_eq!(
            lines[..5],
            [
                "GET",
                "/prr/v1/villages/1/households",
                "limit=100&offset=0",
                "1",
                "n"
            ]
        );
        assert_eq!(lines[5], hex::encode(Sm3::digest(b"")));
    }
}
