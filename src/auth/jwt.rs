//! Bearer-token verification with a pinned algorithm list, and development tokens.

use std::{collections::HashSet, time::Duration};

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    errors::ErrorKind,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{
    AuthSettings, Principal, Role, ScopeLevel, ScopeLevels,
    jwks::JwksKeys,
    verified::{self, VerifiedTokens},
};
use crate::domain::{Department, RegionCode};

/// Why a token was refused. The variants name the failure for the client; none of them
/// carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header must be `Bearer <token>`")]
    MalformedHeader,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is signed with an algorithm this hub does not accept")]
    UnlistedAlgorithm,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's `iat` lies in the future, beyond the allowed clock skew")]
    IssuedInFuture,
    #[error(
        "the token lives {lifetime_secs}s, longer than the {max_secs}s this hub accepts: ask for a shorter-lived one"
    )]
    LifetimeTooLong { lifetime_secs: u64, max_secs: u64 },
    #[error("the token was issued by an unknown issuer")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token lacks the `{0}` claim")]
    MissingClaim(&'static str),
    #[error("the token's `{claim}` claim is invalid: {reason}")]
    InvalidClaim { claim: &'static str, reason: String },
    #[error("the token could not be signed: {0}")]
    Signing(String),
    #[error("the verification key could not be loaded: {0}")]
    Key(String),
    #[error("the token names a signing key (`kid`) this hub does not know")]
    UnknownKey,
    #[error("the identity provider's key set could not be fetched; try again")]
    KeySetUnavailable,
    #[error("a {role} token's region must name a {allowed}, not a {found}")]
    RegionLevel {
        role: Role,
        found: ScopeLevel,
        allowed: String,
    },
}

impl AuthError {
    /// A stable reason code, returned next to `INVALID_TOKEN`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MalformedHeader => "MALFORMED_HEADER",
            Self::Malformed => "MALFORMED",
            Self::UnlistedAlgorithm => "UNLISTED_ALGORITHM",
            Self::BadSignature => "BAD_SIGNATURE",
            Self::Expired => "EXPIRED",
            Self::NotYetValid => "NOT_YET_VALID",
            Self::IssuedInFuture => "ISSUED_IN_FUTURE",
            Self::LifetimeTooLong { .. } => "LIFETIME_TOO_LONG",
            Self::WrongIssuer => "WRONG_ISSUER",
            Self::WrongAudience => "WRONG_AUDIENCE",
            Self::MissingClaim(_) => "MISSING_CLAIM",
            Self::InvalidClaim { .. } => "INVALID_CLAIM",
            Self::Signing(_) | Self::Key(_) => "SERVER_KEY",
            Self::UnknownKey => "UNKNOWN_KEY",
            Self::KeySetUnavailable => "KEY_SET_UNAVAILABLE",
            Self::RegionLevel { .. } => "REGION_LEVEL",
        }
    }
}

/// The claims the hub reads. `exp`, `nbf`, `iss` and `aud` are required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// The authorized party (OpenID Connect): the client application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// The client application as RFC 9068 access tokens name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    // The registered claims are checked by the validation (which names a missing one);
    // they are optional here only so that a missing one is reported as such.
    #[serde(default)]
    pub iss: Option<String>,
    /// A string or an array of strings (RFC 7519).
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
    #[serde(default)]
    pub exp: Option<u64>,
    #[serde(default)]
    pub nbf: Option<u64>,
    #[serde(default)]
    pub iat: Option<u64>,
}

/// A verified token: who it names, and the moment the hub stops accepting it.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub principal: Principal,
    /// `exp` plus the allowed clock skew (`auth.leeway`).
    pub accepted_until: chrono::DateTime<chrono::Utc>,
}

/// Verifies bearer tokens against the configured keys: the HS256 secret, one static
/// public key, and the keys of a JWKS URL.
pub struct JwtVerifier {
    /// The pinned algorithm list: a token naming any other is refused.
    algorithms: Vec<Algorithm>,
    /// Keys that need no `kid`: the HS256 secret and the public key file.
    keys: Vec<(Algorithm, DecodingKey)>,
    jwks: Option<JwksKeys>,
    issuer: String,
    audience: String,
    leeway: Duration,
    max_lifetime: Duration,
    /// The level each role's region must name (the policy's `[scope]`).
    scope_levels: ScopeLevels,
    /// Tokens verified in the last minute.
    verified: VerifiedTokens,
}

impl JwtVerifier {
    /// Builds the key set for every listed algorithm; a missing or unreadable key is an
    /// error at startup, not at the first request.
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, AuthError> {
        let mut keys = Vec::new();
        let mut algorithms = Vec::new();
        let public_pem = match &settings.public_key_file {
            Some(path) => Some(
                std::fs::read(path)
                    .map_err(|e| AuthError::Key(format!("{}: {e}", path.display())))?,
            ),
            None => None,
        };
        for name in &settings.algorithms {
            let (alg, key) = match name.as_str() {
                "HS256" => {
                    let secret = settings.hs256_secret_or_development();
                    (
                        Algorithm::HS256,
                        DecodingKey::from_secret(secret.expose_secret().as_bytes()),
                    )
                }
                "RS256" | "ES256" => {
                    let alg = if name == "RS256" {
                        Algorithm::RS256
                    } else {
                        Algorithm::ES256
                    };
                    let Some(pem) = public_pem.as_deref() else {
                        if settings.jwks_url.is_none() {
                            return Err(AuthError::Key(format!(
                                "{name} needs a public key file or a JWKS URL"
                            )));
                        }
                        algorithms.push(alg);
                        continue;
                    };
                    if name == "RS256" {
                        let key = DecodingKey::from_rsa_pem(pem)
                            .map_err(|e| AuthError::Key(format!("RS256 key: {e}")))?;
                        (Algorithm::RS256, key)
                    } else {
                        let key = DecodingKey::from_ec_pem(pem)
                            .map_err(|e| AuthError::Key(format!("ES256 key: {e}")))?;
                        (Algorithm::ES256, key)
                    }
                }
                other => return Err(AuthError::Key(format!("unsupported algorithm {other}"))),
            };
            algorithms.push(alg);
            keys.push((alg, key));
        }
        let jwks = match &settings.jwks_url {
            Some(url) => {
                let accepted = algorithms
                    .iter()
                    .copied()
                    .filter(|a| matches!(a, Algorithm::RS256 | Algorithm::ES256))
                    .collect();
                Some(JwksKeys::new(url.clone(), settings.jwks_refresh, accepted)?)
            }
            None => None,
        };
        Ok(Self {
            algorithms,
            keys,
            jwks,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway: settings.leeway,
            max_lifetime: settings.max_token_lifetime,
            scope_levels: ScopeLevels::any(),
            verified: VerifiedTokens::new(),
        })
    }

    /// Refuses tokens whose region is not at their role's level (`REGION_LEVEL`).
    pub fn with_scope_levels(mut self, levels: ScopeLevels) -> Self {
        self.scope_levels = levels;
        // What was verified under other levels is not taken under these.
        self.verified = VerifiedTokens::new();
        self
    }

    /// Verifies an `Authorization` header value. `Ok(None)` only when there is no header.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Option<Principal>, AuthError> {
        let Some(header) = header else {
            return Ok(None);
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::MalformedHeader)?;
        self.verify(token).await.map(Some)
    }

    /// Verifies a token and turns its claims into a principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify_token(token)
            .await
            .map(|verified| verified.principal)
    }

    /// Verifies a token and tells, with the principal, until when the hub accepts it
    /// (its `exp` plus the allowed clock skew): a connection that outlives its token is
    /// closed at that moment.
    pub async fn verify_token(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let digest = verified::digest(token);
        if let Some(verified) = self.verified.get(&digest, chrono::Utc::now()) {
            return Ok(verified);
        }
        let verified = self.verify_signature_and_claims(token).await?;
        self.verified.insert(digest, &verified);
        Ok(verified)
    }

    async fn verify_signature_and_claims(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        // The header names the algorithm; only a listed one selects a key, and HS256
        // only ever selects the secret, so a token cannot pick `none` or use a public
        // key as an HMAC secret.
        let header = decode_header(token).map_err(|_| AuthError::Malformed)?;
        let alg = header.alg;
        if !self.algorithms.contains(&alg) {
            return Err(AuthError::UnlistedAlgorithm);
        }
        let key = self.key_for(alg, header.kid.as_deref()).await?;
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = self.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims = ["exp", "nbf", "iss", "aud"]
            .into_iter()
            .map(String::from)
            .collect::<HashSet<_>>();
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let data = decode::<Claims>(token, &key, &validation).map_err(|err| match err.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => AuthError::BadSignature,
            ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(static_claim(claim)),
            _ => AuthError::Malformed,
        })?;
        let exp = data.claims.exp.ok_or(AuthError::MissingClaim("exp"))?;
        check_lifetime(
            &data.claims,
            exp,
            unix_now(),
            self.leeway,
            self.max_lifetime,
        )?;
        let leeway = chrono::TimeDelta::from_std(self.leeway).unwrap_or_default();
        let accepted_until = i64::try_from(exp)
            .ok()
            .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
            .and_then(|exp| exp.checked_add_signed(leeway))
            .ok_or_else(|| AuthError::InvalidClaim {
                claim: "exp",
                reason: "not a representable time".into(),
            })?;
        let principal = principal_from(data.claims)?;
        self.scope_levels.check(principal.role, &principal.region)?;
        Ok(VerifiedToken {
            principal,
            accepted_until,
        })
    }

    /// The key of a listed algorithm: a `kid` of an asymmetric token selects a JWKS key
    /// (when a JWKS URL is configured); otherwise the static key of that algorithm.
    async fn key_for(&self, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        if alg != Algorithm::HS256
            && let (Some(kid), Some(jwks)) = (kid, &self.jwks)
        {
            return jwks.key(kid, alg).await;
        }
        self.keys
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, key)| key.clone())
            // Listed, but only served through the JWKS: a token without `kid`.
            .ok_or(AuthError::UnknownKey)
    }
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// A token may live at most `max`, measured from `iat`, else from `nbf`, else from now;
/// an `iat` in the future beyond the clock skew is a token minted to outlive the rule.
fn check_lifetime(
    claims: &Claims,
    exp: u64,
    now: u64,
    leeway: Duration,
    max: Duration,
) -> Result<(), AuthError> {
    if claims
        .iat
        .is_some_and(|iat| iat > now.saturating_add(leeway.as_secs()))
    {
        return Err(AuthError::IssuedInFuture);
    }
    let start = claims.iat.or(claims.nbf).unwrap_or(now);
    let lifetime = exp.saturating_sub(start);
    if lifetime > max.as_secs() {
        return Err(AuthError::LifetimeTooLong {
            lifetime_secs: lifetime,
            max_secs: max.as_secs(),
        });
    }
    Ok(())
}

fn static_claim(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "iss" => "iss",
        "aud" => "aud",
        _ => "sub",
    }
}

fn principal_from(claims: Claims) -> Result<Principal, AuthError> {
    let invalid = |claim, reason: &str| AuthError::InvalidClaim {
        claim,
        reason: reason.to_owned(),
    };
    if claims.sub.trim().is_empty() {
        return Err(invalid("sub", "must not be empty"));
    }
    let role = Role::parse(&claims.role).ok_or_else(|| invalid("role", "not a known role"))?;
    let region =
        RegionCode::parse(&claims.region).map_err(|e| invalid("region", &e.to_string()))?;
    let department = match claims.dept.as_deref() {
        Some(dept) => {
            Some(Department::parse(dept).ok_or_else(|| invalid("dept", "not a known department"))?)
        }
        None if role.needs_department() => return Err(AuthError::MissingClaim("dept")),
        None => None,
    };
    if role == Role::Resident && claims.id_number.is_none() {
        return Err(AuthError::MissingClaim("id_number"));
    }
    Ok(Principal {
        subject: claims.sub,
        role,
        region,
        department,
        id_number: claims.id_number,
        client: claims
            .azp
            .or(claims.client_id)
            .filter(|c| !c.trim().is_empty()),
    })
}

/// What `cunhub token` asks for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub subject: Option<String>,
    pub role: Role,
    pub region: RegionCode,
    pub department: Option<Department>,
    pub id_number: Option<String>,
    pub ttl: Duration,
}

/// Signs a development token with the configured HS256 secret.
pub fn mint_development_token(
    settings: &AuthSettings,
    request: &TokenRequest,
) -> Result<String, AuthError> {
    mint(settings, request, None)
}

/// Signs a development token issued to the client application `client` (its `azp`).
pub fn mint_development_token_for_client(
    settings: &AuthSettings,
    request: &TokenRequest,
    client: &str,
) -> Result<String, AuthError> {
    mint(settings, request, Some(client.to_owned()))
}

fn mint(
    settings: &AuthSettings,
    request: &TokenRequest,
    client: Option<String>,
) -> Result<String, AuthError> {
    if request.role.needs_department() && request.department.is_none() {
        return Err(AuthError::MissingClaim("dept"));
    }
    if request.role == Role::Resident && request.id_number.is_none() {
        return Err(AuthError::MissingClaim("id_number"));
    }
    if request.ttl > settings.max_token_lifetime {
        return Err(AuthError::LifetimeTooLong {
            lifetime_secs: request.ttl.as_secs(),
            max_secs: settings.max_token_lifetime.as_secs(),
        });
    }
    let now = unix_now();
    let claims = Claims {
        sub: request
            .subject
            .clone()
            .unwrap_or_else(|| format!("dev-{}", request.role)),
        role: request.role.as_str().to_owned(),
        region: request.region.to_string(),
        dept: request.department.map(|d| d.as_str().to_owned()),
        id_number: request.id_number.clone(),
        azp: client,
        client_id: None,
        iss: Some(settings.issuer.clone()),
        aud: Some(serde_json::Value::String(settings.audience.clone())),
        exp: Some(now + request.ttl.as_secs()),
        nbf: Some(now),
        iat: Some(now),
    };
    let secret = settings.hs256_secret_or_development();
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )
    .map_err(|e| AuthError::Signing(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AuthSettings {
        AuthSettings::default()
    }

    fn request(role: Role) -> TokenRequest {
        TokenRequest {
            subject: None,
            role,
            region: RegionCode::parse("220122101201").unwrap_or_else(|e| panic!("{e}")),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn a_minted_token_verifies_into_its_principal() {
        let token = mint_development_token(&settings(), &request(Role::VillageAssistant))
            .unwrap_or_else(|e| panic!("{e}"));
        let verifier = JwtVerifier::from_settings(&settings()).unwrap_or_else(|e| panic!("{e}"));
        let principal = verifier
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(principal.role, Role::VillageAssistant);
        assert_eq!(principal.region.as_str(), "220122101201");
    }

    #[test]
    fn a_development_token_may_not_outlive_the_maximum() {
        let mut long = request(Role::VillageAssistant);
        long.ttl = Duration::from_secs(13 * 3600);
        let err = mint_development_token(&settings(), &long).err();
        assert_eq!(
            err.map(|e| e.reason()),
            Some("LIFETIME_TOO_LONG"),
            "a 13h token under the 12h default"
        );
        long.ttl = Duration::from_secs(12 * 3600);
        assert!(mint_development_token(&settings(), &long).is_ok());
    }

    #[test]
    fn lifetime_is_measured_from_iat_then_nbf_then_now() {
        let claims = |iat: Option<u64>, nbf: Option<u64>| Claims {
            sub: "u".into(),
            role: "admin".into(),
            region: "22".into(),
            dept: None,
            id_number: None,
            azp: None,
            client_id: None,
            iss: None,
            aud: None,
            exp: None,
            nbf,
            iat,
        };
        let (now, hour, skew) = (1_000_000, 3600, Duration::from_secs(30));
        let max = Duration::from_secs(12 * 3600);
        let check =
            |c: &Claims, exp| check_lifetime(c, exp, now, skew, max).map_err(|e| e.reason());
        // From iat, although nbf is later.
        let c = claims(Some(now - 2 * hour), Some(now));
        assert_eq!(check(&c, now + 11 * hour), Err("LIFETIME_TOO_LONG"));
        assert_eq!(check(&c, now + 10 * hour), Ok(()));
        // From nbf without iat.
        let c = claims(None, Some(now - 2 * hour));
        assert_eq!(check(&c, now + 11 * hour), Err("LIFETIME_TOO_LONG"));
        // From now without either.
        let c = claims(None, None);
        assert_eq!(check(&c, now + 12 * hour), Ok(()));
        assert_eq!(check(&c, now + 12 * hour + 1), Err("LIFETIME_TOO_LONG"));
        // An iat within the skew is a clock difference; beyond it, a forgery of age.
        assert_eq!(check(&claims(Some(now + 30), None), now + hour), Ok(()));
        assert_eq!(
            check(&claims(Some(now + 31), None), now + hour),
            Err("ISSUED_IN_FUTURE")
        );
    }

    #[test]
    fn department_roles_need_a_department() {
        let err = mint_development_token(&settings(), &request(Role::DepartmentClerk)).err();
        assert_eq!(err, Some(AuthError::MissingClaim("dept")));
    }

    #[tokio::test]
    async fn a_missing_header_is_anonymous_but_a_bad_one_is_refused() {
        let verifier = JwtVerifier::from_settings(&settings()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verifier.authenticate(None).await, Ok(None));
        assert_eq!(
            verifier.authenticate(Some("Basic abc")).await,
            Err(AuthError::MalformedHeader)
        );
        assert_eq!(
            verifier.authenticate(Some("Bearer not.a.jwt")).await,
            Err(AuthError::Malformed)
        );
    }

    #[test]
    fn debug_never_shows_the_id_number() {
        let principal = Principal {
            subject: "u".into(),
            role: Role::Resident,
            region: RegionCode::parse("22").unwrap_or_else(|e| panic!("{e}")),
            department: None,
            id_number: Some("220122195603020017".into()),
            client: None,
        };
        assert!(!format!("{principal:?}").contains("220122195603020017"));
    }
}
