//! The `[auth]` settings section: how bearer tokens are verified.

use std::{path::PathBuf, time::Duration};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

/// The secret that signs development tokens when none is configured.
pub const DEVELOPMENT_SECRET: &str = "cunhub-development-secret-do-not-use-in-production";

/// How bearer tokens are verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub algorithms: Vec<String>,
    /// Redacted in `Debug` and never serialised back out.
    #[serde(skip_serializing)]
    pub hs256_secret: Option<SecretString>,
    pub public_key_file: Option<PathBuf>,
    /// A JWKS document of RS256/ES256 public keys, chosen by the token's `kid`.
    pub jwks_url: Option<String>,
    /// The shortest time between two fetches of the JWKS: an unknown `kid` refetches it
    /// at most this often.
    #[serde(with = "humantime_serde")]
    pub jwks_refresh: Duration,
    #[serde(with = "humantime_serde")]
    pub leeway: Duration,
    /// The longest lifetime a token may have, from its `iat` (else `nbf`, else now) to
    /// its `exp`: a stolen long-lived token is refused, not honoured for months.
    #[serde(with = "humantime_serde")]
    pub max_token_lifetime: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "cunhub-dev".into(),
            audience: "cunhub".into(),
            algorithms: vec!["HS256".into()],
            hs256_secret: None,
            public_key_file: None,
            jwks_url: None,
            jwks_refresh: Duration::from_secs(60),
            leeway: Duration::from_secs(30),
            max_token_lifetime: Duration::from_secs(12 * 3600),
        }
    }
}

impl AuthSettings {
    /// The HS256 secret, falling back to the development secret.
    pub fn hs256_secret_or_development(&self) -> SecretString {
        self.hs256_secret
            .clone()
            .unwrap_or_else(|| SecretString::from(DEVELOPMENT_SECRET))
    }

    /// Whether tokens are signed with the well-known development secret.
    pub fn uses_development_secret(&self) -> bool {
        self.algorithms.iter().any(|a| a == "HS256") && self.hs256_secret.is_none()
    }

    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.algorithms.is_empty() {
            return Some(("auth.algorithms", "list at least one algorithm".into()));
        }
        for alg in &self.algorithms {
            match alg.as_str() {
                "HS256" => {}
                "RS256" | "ES256" if self.public_key_file.is_some() || self.jwks_url.is_some() => {}
                "RS256" | "ES256" => {
                    return Some((
                        "auth.public_key_file",
                        format!("{alg} needs a public key file or auth.jwks_url"),
                    ));
                }
                other => {
                    return Some((
                        "auth.algorithms",
                        format!("`{other}` is not HS256, RS256 or ES256"),
                    ));
                }
            }
        }
        if self.issuer.is_empty() {
            return Some(("auth.issuer", "must not be empty".into()));
        }
        if self.audience.is_empty() {
            return Some(("auth.audience", "must not be empty".into()));
        }
        if let Some(url) = &self.jwks_url {
            match url::Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
                _ => {
                    return Some(("auth.jwks_url", format!("`{url}` is not an http(s) URL")));
                }
            }
        }
        if self.jwks_refresh < Duration::from_secs(1) {
            return Some(("auth.jwks_refresh", "at least 1s".into()));
        }
        if self.leeway > Duration::from_secs(300) {
            return Some(("auth.leeway", "at most 5 minutes".into()));
        }
        if self.max_token_lifetime < Duration::from_secs(60) {
            return Some(("auth.max_token_lifetime", "at least 1m".into()));
        }
        None
    }

    /// What a production hub demands beyond [`problem`](Self::problem): a real key to
    /// verify tokens with.
    pub fn production_problem(&self) -> Option<(&'static str, String)> {
        if self.hs256_secret.is_none() && self.public_key_file.is_none() && self.jwks_url.is_none()
        {
            return Some((
                "auth.hs256_secret",
                "no token verification key is configured; set auth.hs256_secret \
                 (HS256), auth.public_key_file or auth.jwks_url (RS256/ES256)"
                    .into(),
            ));
        }
        if self.uses_development_secret() {
            return Some((
                "auth.hs256_secret",
                "HS256 is listed in auth.algorithms but no secret is set, so tokens \
                 would be verified with the public development secret; set \
                 auth.hs256_secret or remove HS256 from auth.algorithms"
                    .into(),
            ));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        let none_or = |value: Option<String>| value.map_or_else(|| "none".into(), code);
        vec![
            SettingRow::new(
                "auth.issuer",
                "CUNHUB_AUTH_ISSUER",
                code(&self.issuer),
                "required `iss` of every token",
            ),
            SettingRow::new(
                "auth.audience",
                "CUNHUB_AUTH_AUDIENCE",
                code(&self.audience),
                "required `aud` of every token",
            ),
            SettingRow::new(
                "auth.algorithms",
                "CUNHUB_AUTH_ALGORITHMS",
                code(format!("[{}]", self.algorithms.join(", "))),
                "accepted algorithms: `HS256`, `RS256`, `ES256`",
            ),
            SettingRow::new(
                "auth.hs256_secret",
                "CUNHUB_AUTH_HS256_SECRET",
                if self.hs256_secret.is_some() {
                    "configured"
                } else {
                    "development secret"
                },
                "HS256 shared secret; never logged",
            ),
            SettingRow::new(
                "auth.public_key_file",
                "CUNHUB_AUTH_PUBLIC_KEY_FILE",
                none_or(
                    self.public_key_file
                        .as_ref()
                        .map(|path| path.display().to_string()),
                ),
                "PEM public key for RS256 / ES256",
            ),
            SettingRow::new(
                "auth.jwks_url",
                "CUNHUB_AUTH_JWKS_URL",
                none_or(self.jwks_url.clone()),
                "JWKS document of RS256 / ES256 keys, chosen by the token's `kid`, next to \
                 `auth.public_key_file`",
            ),
            SettingRow::new(
                "auth.jwks_refresh",
                "CUNHUB_AUTH_JWKS_REFRESH",
                duration(self.jwks_refresh),
                "shortest time between two JWKS fetches: an unknown `kid` refetches at most \
                 this often, then answers `UNKNOWN_KEY`",
            ),
            SettingRow::new(
                "auth.leeway",
                "CUNHUB_AUTH_LEEWAY",
                duration(self.leeway),
                "clock skew allowed on `exp`, `nbf` and `iat` (at most 5m)",
            ),
            SettingRow::new(
                "auth.max_token_lifetime",
                "CUNHUB_AUTH_MAX_TOKEN_LIFETIME",
                duration(self.max_token_lifetime),
                "longest lifetime a token may have, from its `iat` (else `nbf`, else now) to \
                 its `exp`; a longer one is refused (`LIFETIME_TOO_LONG`), as is an `iat` in \
                 the future beyond the leeway (`ISSUED_IN_FUTURE`); `cunhub token --ttl` is \
                 bound by it too",
            ),
        ]
    }
}
