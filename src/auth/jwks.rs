//! RS256/ES256 keys from a JWKS URL, chosen by the token's `kid`. The set is fetched on
//! first use and cached; an unknown `kid` refetches it, but at most once per
//! `auth.jwks_refresh`, so a flood of made-up `kid`s cannot hammer the identity provider.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use tokio::sync::Mutex;

use super::AuthError;

/// The keys of one JWKS URL.
pub struct JwksKeys {
    url: String,
    refresh: Duration,
    /// The asymmetric algorithms the hub accepts; keys for any other are ignored.
    accepted: Vec<Algorithm>,
    client: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    fetched_at: Option<Instant>,
}

impl JwksKeys {
    pub fn new(
        url: String,
        refresh: Duration,
        accepted: Vec<Algorithm>,
    ) -> Result<Self, AuthError> {
        // No idle connections: fetches are rare, and a pooled connection would be tied to
        // the runtime of the worker that opened it.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| AuthError::Key(format!("JWKS client: {e}")))?;
        Ok(Self {
            url,
            refresh,
            accepted,
            client,
            state: Mutex::new(State::default()),
        })
    }

    /// The key named `kid`, for a token signed with `alg`.
    pub async fn key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, AuthError> {
        let mut state = self.state.lock().await;
        if !state.keys.contains_key(kid) {
            let due = state
                .fetched_at
                .is_none_or(|at| at.elapsed() >= self.refresh);
            if !due {
                return Err(AuthError::UnknownKey);
            }
            // Stamped before the fetch, so a failing provider is also asked only once
            // per interval.
            state.fetched_at = Some(Instant::now());
            state.keys = self.fetch().await.map_err(|reason| {
                tracing::warn!(url = %self.url, %reason, "JWKS not fetched");
                AuthError::KeySetUnavailable
            })?;
        }
        match state.keys.get(kid) {
            Some((key_alg, key)) if *key_alg == alg => Ok(key.clone()),
            // A key of another algorithm: never used for this token.
            Some(_) => Err(AuthError::BadSignature),
            None => Err(AuthError::UnknownKey),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, (Algorithm, DecodingKey)>, String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        let list = body
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or("the document has no `keys` array")?;
        let mut keys = HashMap::new();
        // One key the hub cannot use (another type, an encryption key) is skipped, not
        // a reason to refuse the whole set.
        for value in list {
            let Ok(jwk) = serde_json::from_value::<Jwk>(value.clone()) else {
                continue;
            };
            if let Some((kid, alg, key)) = self.usable(&jwk) {
                keys.insert(kid, (alg, key));
            }
        }
        tracing::info!(url = %self.url, keys = keys.len(), "JWKS fetched");
        Ok(keys)
    }

    fn usable(&self, jwk: &Jwk) -> Option<(String, Algorithm, DecodingKey)> {
        let kid = jwk.common.key_id.clone()?;
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            return None;
        }
        let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                if ec.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            _ => return None,
        };
        if !self.accepted.contains(&alg) {
            return None;
        }
        let key = DecodingKey::from_jwk(jwk).ok()?;
        Some((kid, alg, key))
    }
}
