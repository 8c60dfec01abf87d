//! One typed settings struct, read from defaults, an optional TOML file, `CUNHUB_*`
//! environment variables and command-line flags, in that order of precedence.
//! No other module reads the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The secret that signs development tokens when none is configured.
pub const DEVELOPMENT_SECRET: &str = "cunhub-development-secret-do-not-use-in-production";

/// Every setting: its key in the TOML file, its environment variable, and what it does.
/// The README's table is this list.
pub const SETTINGS_TABLE: &[(&str, &str, &str)] = &[
    (
        "server.bind",
        "CUNHUB_BIND",
        "address and port the hub listens on",
    ),
    (
        "server.body_limit",
        "CUNHUB_BODY_LIMIT",
        "largest request body in bytes",
    ),
    (
        "server.shutdown_timeout",
        "CUNHUB_SHUTDOWN_TIMEOUT",
        "time in-flight requests get after SIGTERM/SIGINT",
    ),
    (
        "server.workers",
        "CUNHUB_WORKERS",
        "HTTP worker threads (0: one per core)",
    ),
    (
        "server.graphiql",
        "CUNHUB_GRAPHIQL",
        "serve GraphiQL at /graphiql",
    ),
    (
        "server.introspection",
        "CUNHUB_INTROSPECTION",
        "answer `__schema`/`__type` queries of anonymous callers",
    ),
    (
        "server.suggestions",
        "CUNHUB_SUGGESTIONS",
        "suggest field names (\"Did you mean …\") in errors",
    ),
    (
        "server.request_deadline",
        "CUNHUB_REQUEST_DEADLINE",
        "deadline of a request's department calls",
    ),
    (
        "database.url",
        "CUNHUB_DATABASE_URL",
        "sqlite://FILE?mode=rwc or postgres://USER@HOST/DB",
    ),
    (
        "database.max_connections",
        "CUNHUB_DATABASE_MAX_CONNECTIONS",
        "connection pool size",
    ),
    (
        "auth.issuer",
        "CUNHUB_AUTH_ISSUER",
        "required `iss` of every token",
    ),
    (
        "auth.audience",
        "CUNHUB_AUTH_AUDIENCE",
        "required `aud` of every token",
    ),
    (
        "auth.algorithms",
        "CUNHUB_AUTH_ALGORITHMS",
        "accepted signature algorithms (HS256, RS256, ES256)",
    ),
    (
        "auth.hs256_secret",
        "CUNHUB_AUTH_HS256_SECRET",
        "shared secret for HS256 tokens (secret)",
    ),
    (
        "auth.public_key_file",
        "CUNHUB_AUTH_PUBLIC_KEY_FILE",
        "PEM public key for RS256/ES256 tokens",
    ),
    (
        "auth.jwks_url",
        "CUNHUB_AUTH_JWKS_URL",
        "JWKS of RS256/ES256 keys, selected by `kid`",
    ),
    (
        "auth.jwks_refresh",
        "CUNHUB_AUTH_JWKS_REFRESH",
        "shortest time between two fetches of the JWKS",
    ),
    (
        "auth.leeway",
        "CUNHUB_AUTH_LEEWAY",
        "clock skew allowed on exp and nbf",
    ),
    (
        "audit.checkpoint_key",
        "CUNHUB_AUDIT_CHECKPOINT_KEY",
        "HMAC key signing audit checkpoints (secret)",
    ),
    (
        "audit.checkpoint_key_version",
        "CUNHUB_AUDIT_CHECKPOINT_KEY_VERSION",
        "version recorded with each checkpoint",
    ),
    (
        "audit.retired_checkpoint_keys",
        "CUNHUB_AUDIT_RETIRED_CHECKPOINT_KEYS",
        "earlier checkpoint keys by version, to verify old checkpoints (secret)",
    ),
    (
        "audit.checkpoint_interval",
        "CUNHUB_AUDIT_CHECKPOINT_INTERVAL",
        "how often the chain head is signed",
    ),
    (
        "limits.max_depth",
        "CUNHUB_LIMITS_MAX_DEPTH",
        "deepest selection a query may nest",
    ),
    (
        "limits.max_complexity",
        "CUNHUB_LIMITS_MAX_COMPLEXITY",
        "largest query cost (lists count `first` times)",
    ),
    (
        "limits.max_aliases",
        "CUNHUB_LIMITS_MAX_ALIASES",
        "most aliases in one document",
    ),
    (
        "limits.max_root_fields",
        "CUNHUB_LIMITS_MAX_ROOT_FIELDS",
        "most top-level fields in one operation",
    ),
    (
        "limits.max_tokens",
        "CUNHUB_LIMITS_MAX_TOKENS",
        "most lexical tokens in one document",
    ),
    (
        "limits.max_page_size",
        "CUNHUB_LIMITS_MAX_PAGE_SIZE",
        "largest `first` of a connection",
    ),
    (
        "departments.defaults.timeout",
        "CUNHUB_DEPARTMENTS_TIMEOUT",
        "longest single department call",
    ),
    (
        "departments.defaults.retries",
        "CUNHUB_DEPARTMENTS_RETRIES",
        "extra attempts of a safe read",
    ),
    (
        "departments.defaults.cache_ttl",
        "CUNHUB_DEPARTMENTS_CACHE_TTL",
        "how long a department answer is fresh",
    ),
    (
        "departments.defaults.stale_for",
        "CUNHUB_DEPARTMENTS_STALE_FOR",
        "how long it may be served stale in an outage",
    ),
    (
        "departments.medical_insurance.base_url",
        "CUNHUB_MEDICAL_INSURANCE_URL",
        "medical insurance platform",
    ),
    (
        "departments.medical_insurance.sender_code",
        "CUNHUB_MEDICAL_INSURANCE_SENDER_CODE",
        "the hub's sender code in the envelope",
    ),
    (
        "departments.social_security.base_url",
        "CUNHUB_SOCIAL_SECURITY_URL",
        "social security platform",
    ),
    (
        "departments.social_security.api_key",
        "CUNHUB_SOCIAL_SECURITY_API_KEY",
        "its X-Api-Key (secret)",
    ),
    (
        "departments.civil_affairs.base_url",
        "CUNHUB_CIVIL_AFFAIRS_URL",
        "civil affairs SOAP service",
    ),
    (
        "departments.public_security.base_url",
        "CUNHUB_PUBLIC_SECURITY_URL",
        "household register",
    ),
    (
        "departments.public_security.client_id",
        "CUNHUB_PUBLIC_SECURITY_CLIENT_ID",
        "its OAuth2 client id",
    ),
    (
        "departments.public_security.client_secret",
        "CUNHUB_PUBLIC_SECURITY_CLIENT_SECRET",
        "its OAuth2 client secret (secret)",
    ),
    (
        "access.policy_file",
        "CUNHUB_POLICY_FILE",
        "access policy replacing the built-in matrix",
    ),
    (
        "privacy.lookup_key",
        "CUNHUB_PRIVACY_LOOKUP_KEY",
        "HMAC key for ID-number lookups (secret), lookup key version 1",
    ),
    (
        "privacy.lookup_keys",
        "CUNHUB_PRIVACY_LOOKUP_KEYS",
        "ID-number lookup keys by version (secret)",
    ),
    (
        "privacy.lookup_key_version",
        "CUNHUB_PRIVACY_LOOKUP_KEY_VERSION",
        "lookup key version for new records (0: the highest)",
    ),
    (
        "privacy.encryption_keys",
        "CUNHUB_PRIVACY_ENCRYPTION_KEYS",
        "ID-number encryption keys by version (secret)",
    ),
    (
        "privacy.encryption_key_version",
        "CUNHUB_PRIVACY_ENCRYPTION_KEY_VERSION",
        "key version for new records",
    ),
    (
        "screening.interval",
        "CUNHUB_SCREENING_INTERVAL",
        "time between scheduled screening runs in `serve` (0: none)",
    ),
    (
        "screening.region",
        "CUNHUB_SCREENING_REGION",
        "region the scheduled runs screen",
    ),
    (
        "screening.share",
        "CUNHUB_SCREENING_SHARE",
        "share of each department's calls in flight a run may hold",
    ),
    (
        "screening.assumed_capacity",
        "CUNHUB_SCREENING_ASSUMED_CAPACITY",
        "calls in flight assumed where a department sets no max_in_flight",
    ),
    (
        "screening.rate_per_sec",
        "CUNHUB_SCREENING_RATE_PER_SEC",
        "calls per second a run may make to each department (0: uncapped)",
    ),
    (
        "screening.elderly_age",
        "CUNHUB_SCREENING_ELDERLY_AGE",
        "age from which the old-age allowance is owed",
    ),
    (
        "screening.lease",
        "CUNHUB_SCREENING_LEASE",
        "how long a run holds its region without renewal",
    ),
    (
        "workflow.accept_days",
        "CUNHUB_WORKFLOW_ACCEPT_DAYS",
        "working days the township has to accept a reported need",
    ),
    (
        "workflow.township_days",
        "CUNHUB_WORKFLOW_TOWNSHIP_DAYS",
        "working days the township has to resolve or route an accepted request",
    ),
    (
        "workflow.village_days",
        "CUNHUB_WORKFLOW_VILLAGE_DAYS",
        "working days the village has to confirm or resubmit",
    ),
    (
        "workflow.overdue_check_interval",
        "CUNHUB_WORKFLOW_OVERDUE_CHECK_INTERVAL",
        "how often steps past their deadline are escalated",
    ),
    (
        "log.level",
        "CUNHUB_LOG_LEVEL",
        "tracing filter, e.g. `info` or `cunhub=debug`",
    ),
    ("log.format", "CUNHUB_LOG_FORMAT", "`text` or `json`"),
];

/// All settings of the hub.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
    pub limits: QueryLimits,
    pub privacy: PrivacySettings,
    pub access: AccessSettings,
    /// The departmental systems: shared defaults and per-department overrides.
    #[serde(skip_serializing)]
    pub departments: crate::adapters::settings::DepartmentsSettings,
    /// Region-wide cross-department checks: schedule and share of the departments.
    pub screening: crate::screening::ScreeningSettings,
    /// Service-request deadlines and escalation.
    pub workflow: crate::workflow::WorkflowSettings,
    pub log: LogSettings,
}

/// The access policy in force.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AccessSettings {
    /// A TOML policy file replacing the built-in access matrix.
    pub policy_file: Option<PathBuf>,
}

/// Keys that protect ID numbers at rest. Both are secrets, redacted from `Debug`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// HMAC-SHA256 key (base64, 32 bytes) for the keyed hash that finds ID numbers:
    /// lookup key version 1.
    #[serde(skip_serializing)]
    pub lookup_key: Option<SecretString>,
    /// Lookup keys by version (base64, 32 bytes each); old versions find residents not
    /// yet re-hashed by `cunhub keys rotate`.
    #[serde(skip_serializing)]
    pub lookup_keys: std::collections::BTreeMap<String, SecretString>,
    /// The lookup key version new records are hashed with; 0 means the highest configured.
    pub lookup_key_version: u32,
    /// Encryption keys by version (base64, 32 bytes each); old versions stay to decrypt.
    #[serde(skip_serializing)]
    pub encryption_keys: std::collections::BTreeMap<String, SecretString>,
    /// The version new records are encrypted with; 0 means the highest configured.
    pub encryption_key_version: u32,
}

/// The HTTP listener.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub bind: String,
    pub body_limit: usize,
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    pub workers: usize,
    /// Serve GraphiQL at `/graphiql`; off in production.
    pub graphiql: bool,
    /// Answer introspection (`__schema`, `__type`) for anonymous callers; authenticated
    /// callers may always introspect.
    pub introspection: bool,
    /// Suggest field and type names ("Did you mean …") in validation errors, which
    /// otherwise let an anonymous caller map the schema.
    pub suggestions: bool,
    /// The deadline of one GraphQL request's department calls, retries included.
    #[serde(with = "humantime_serde")]
    pub request_deadline: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            body_limit: 256 * 1024,
            shutdown_timeout: Duration::from_secs(30),
            workers: 0,
            graphiql: false,
            introspection: false,
            suggestions: false,
            request_deadline: Duration::from_millis(2500),
        }
    }
}

/// The hub's own database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://cunhub.db?mode=rwc".into(),
            max_connections: 16,
        }
    }
}

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
}

/// Signed checkpoints of the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// HMAC-SHA256 key (base64, 32 bytes), kept outside the database, that signs the
    /// chain head. Redacted in `Debug` and never serialised back out.
    #[serde(skip_serializing)]
    pub checkpoint_key: Option<SecretString>,
    /// The version recorded with each checkpoint, so that a rotated key is named.
    pub checkpoint_key_version: u32,
    /// Earlier checkpoint keys by version (base64, 32 bytes each), kept so that
    /// checkpoints they signed still verify.
    #[serde(skip_serializing)]
    pub retired_checkpoint_keys: std::collections::BTreeMap<String, SecretString>,
    /// How often the chain head is signed (only when it moved).
    #[serde(with = "humantime_serde")]
    pub checkpoint_interval: Duration,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            checkpoint_key: None,
            checkpoint_key_version: 1,
            retired_checkpoint_keys: std::collections::BTreeMap::new(),
            checkpoint_interval: Duration::from_secs(60),
        }
    }
}

/// Limits every GraphQL document must stay within.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_tokens: usize,
    pub max_page_size: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 5_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_tokens: 2_000,
            max_page_size: 100,
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A setting that cannot be used; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("invalid setting `{key}`: {reason}")]
    Setting { key: &'static str, reason: String },
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        let reasons: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        ConfigError::Invalid(reasons.join("; "))
    }
}

/// Values given on the command line, which win over the file and the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub policy_file: Option<PathBuf>,
}

impl Settings {
    /// Reads the settings: defaults, then `file`, then `CUNHUB_*`, then `overrides`.
    pub fn load(
        file: Option<&std::path::Path>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::MissingFile(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(environment());
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(("server.bind", bind));
        }
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(("database.url", url));
        }
        if let Some(path) = &overrides.policy_file {
            figment = figment.merge(("access.policy_file", path));
        }
        let settings: Settings = figment.extract()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: addresses, URLs, algorithms and ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, reason: String| Err(ConfigError::Setting { key, reason });
        if self.server.bind.parse::<SocketAddr>().is_err() {
            return bad(
                "server.bind",
                format!("`{}` is not HOST:PORT", self.server.bind),
            );
        }
        if self.server.body_limit < 1024 {
            return bad("server.body_limit", "must be at least 1024 bytes".into());
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return bad(
                "database.url",
                "must start with sqlite: or postgres://".into(),
            );
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1".into());
        }
        if self.auth.algorithms.is_empty() {
            return bad("auth.algorithms", "list at least one algorithm".into());
        }
        for alg in &self.auth.algorithms {
            match alg.as_str() {
                "HS256" => {}
                "RS256" | "ES256"
                    if self.auth.public_key_file.is_some() || self.auth.jwks_url.is_some() => {}
                "RS256" | "ES256" => {
                    return bad(
                        "auth.public_key_file",
                        format!("{alg} needs a public key file or auth.jwks_url"),
                    );
                }
                other => {
                    return bad(
                        "auth.algorithms",
                        format!("`{other}` is not HS256, RS256 or ES256"),
                    );
                }
            }
        }
        if self.auth.issuer.is_empty() {
            return bad("auth.issuer", "must not be empty".into());
        }
        if self.auth.audience.is_empty() {
            return bad("auth.audience", "must not be empty".into());
        }
        if let Some(url) = &self.auth.jwks_url {
            match url::Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
                _ => return bad("auth.jwks_url", format!("`{url}` is not an http(s) URL")),
            }
        }
        if self.auth.jwks_refresh < Duration::from_secs(1) {
            return bad("auth.jwks_refresh", "at least 1s".into());
        }
        if self.audit.checkpoint_interval < Duration::from_secs(1) {
            return bad("audit.checkpoint_interval", "at least 1s".into());
        }
        if self.auth.leeway > Duration::from_secs(300) {
            return bad("auth.leeway", "at most 5 minutes".into());
        }
        let limits = &self.limits;
        for (key, value) in [
            ("limits.max_depth", limits.max_depth),
            ("limits.max_complexity", limits.max_complexity),
            ("limits.max_aliases", limits.max_aliases),
            ("limits.max_root_fields", limits.max_root_fields),
            ("limits.max_tokens", limits.max_tokens),
            ("limits.max_page_size", limits.max_page_size),
        ] {
            if value == 0 {
                return bad(key, "must be at least 1".into());
            }
        }
        if let Some((key, reason)) = self.screening.problem() {
            return bad(key, reason);
        }
        if let Some((key, reason)) = self.workflow.problem() {
            return bad(key, reason);
        }
        if let Err(err) = self.departments.validate() {
            return Err(ConfigError::Invalid(format!("departments: {err}")));
        }
        if self.server.request_deadline < Duration::from_millis(50) {
            return bad("server.request_deadline", "at least 50ms".into());
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return bad(
                "log.level",
                format!("`{}` is not a tracing filter", self.log.level),
            );
        }
        Ok(())
    }

    /// Whether tokens are signed with the well-known development secret.
    pub fn uses_development_secret(&self) -> bool {
        self.auth.algorithms.iter().any(|a| a == "HS256") && self.auth.hs256_secret.is_none()
    }

    /// What `cunhub serve` demands beyond [`validate`](Self::validate): a real key to
    /// verify tokens with. The demo, which runs on the development secret, skips it.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        let auth = &self.auth;
        if auth.hs256_secret.is_none() && auth.public_key_file.is_none() && auth.jwks_url.is_none()
        {
            return Err(ConfigError::Setting {
                key: "auth.hs256_secret",
                reason: "no token verification key is configured; set auth.hs256_secret \
                         (HS256), auth.public_key_file or auth.jwks_url (RS256/ES256)"
                    .into(),
            });
        }
        if self.uses_development_secret() {
            return Err(ConfigError::Setting {
                key: "auth.hs256_secret",
                reason: "HS256 is listed in auth.algorithms but no secret is set, so tokens \
                         would be verified with the public development secret; set \
                         auth.hs256_secret or remove HS256 from auth.algorithms"
                    .into(),
            });
        }
        Ok(())
    }
}

/// `CUNHUB_*` variables mapped to their keys through [`SETTINGS_TABLE`]; any other
/// `CUNHUB_` variable is an unknown key and is rejected (the test suite's own
/// `CUNHUB_TEST_*` variables excepted).
fn environment() -> Env {
    Env::raw().filter_map(|key| {
        let name = key.as_str().to_ascii_uppercase();
        let rest = name.strip_prefix("CUNHUB_")?;
        if rest.starts_with("TEST_") {
            return None;
        }
        Some(
            match SETTINGS_TABLE.iter().find(|(_, env, _)| *env == name) {
                Some((path, _, _)) => (*path).into(),
                None => {
                    format!("unknown_environment_variable_{}", rest.to_ascii_lowercase()).into()
                }
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_need_no_file_and_validate() {
        let settings = Settings::default();
        assert!(settings.validate().is_ok());
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert!(settings.database.url.contains("cunhub.db"));
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("cunhub.toml");
        std::fs::write(&path, "[server]\nbindd = \"x\"\n").unwrap_or_else(|e| panic!("{e}"));
        let err = Settings::load(Some(&path), &Overrides::default())
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("bindd")),
            "{err:?}"
        );
    }

    #[test]
    fn a_bad_value_names_the_setting() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("cunhub.toml");
        std::fs::write(&path, "[server]\nbind = \"nowhere\"\n").unwrap_or_else(|e| panic!("{e}"));
        let err = Settings::load(Some(&path), &Overrides::default())
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("server.bind")),
            "{err:?}"
        );
    }

    #[test]
    fn secrets_are_redacted_from_debug() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("cunhub.toml");
        std::fs::write(&path, "[auth]\nhs256_secret = \"super-secret-value\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let settings =
            Settings::load(Some(&path), &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{settings:?}").contains("super-secret-value"));
        let secret = settings.auth.hs256_secret_or_development();
        assert_eq!(secret.expose_secret(), "super-secret-value");
    }

    #[test]
    fn production_needs_a_real_verification_key() {
        let mut settings = Settings::default();
        let err = settings.check_production().err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("auth.hs256_secret") && e.contains("no token")),
            "{err:?}"
        );
        settings.auth.jwks_url = Some("https://idp.example/jwks.json".into());
        let err = settings.check_production().err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("development secret")),
            "{err:?}"
        );
        settings.auth.algorithms = vec!["RS256".into()];
        assert!(settings.validate().is_ok());
        assert!(settings.check_production().is_ok());
        settings.auth.algorithms = vec!["HS256".into()];
        settings.auth.jwks_url = None;
        settings.auth.hs256_secret = Some(SecretString::from("a-real-secret"));
        assert!(settings.check_production().is_ok());
    }

    #[test]
    fn production_posture_is_the_default() {
        let server = ServerSettings::default();
        assert!(!server.graphiql && !server.introspection && !server.suggestions);
    }

    #[test]
    fn command_line_overrides_win() {
        let overrides = Overrides {
            bind: Some("127.0.0.1:9999".into()),
            database_url: Some("sqlite::memory:".into()),
            policy_file: None,
        };
        let settings = Settings::load(None, &overrides).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.server.bind, "127.0.0.1:9999");
        assert_eq!(settings.database.url, "sqlite::memory:");
    }
}
