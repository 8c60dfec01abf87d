//! Settings of the departmental systems: shared defaults plus per-department overrides,
//! mounted in the hub's settings as the `[departments]` section.
//!
//! ```toml
//! [departments.defaults]
//! timeout = "2s"              # one attempt, capped by the request's deadline
//! retries = 2                 # extra attempts of a safe read
//!
//! [departments.medical_insurance]
//! base_url = "http://10.1.2.3:8080"
//! sender_code = "H22000000001"
//! max_in_flight = 16          # for the whole hub, however many instances serve
//! rate_per_sec = 200          # likewise
//!
//! [departments.social_security]
//! base_url = "http://10.1.2.4"
//! api_key = "…"
//!
//! [departments.public_security]
//! base_url = "https://10.1.2.6"
//! client_id = "cunhub"
//! client_secret = "…"
//! ```
//!
//! An empty `base_url` means the department is not configured: its calls fail at once
//! with [`AdapterError::NotConfigured`](super::AdapterError::NotConfigured).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::settings_row::{SettingRow, code, duration};

/// The `[departments]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DepartmentsSettings {
    /// Values every department takes unless it overrides them.
    pub defaults: Tuning,
    /// 医保: the medical insurance platform.
    pub medical_insurance: DepartmentSettings,
    /// 人社: human resources and social security.
    pub social_security: DepartmentSettings,
    /// 民政: civil affairs.
    pub civil_affairs: DepartmentSettings,
    /// 公安: the household register.
    pub public_security: DepartmentSettings,
    /// A folder of department definitions (`*.toml`) read at start besides the built-in
    /// ones (`cunhub departments check FILE` checks one).
    pub definitions_dir: Option<PathBuf>,
    /// The declared systems' addresses and credentials, by their definition's `name`.
    pub systems: BTreeMap<String, SystemSettings>,
}

/// A declared system: where it is, the hub's credentials there, and overrides of what
/// its definition and the defaults say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SystemSettings {
    /// Overrides the definition's `base_url`; empty: the definition's, if any.
    pub base_url: String,
    /// For `auth.kind = "api_key"`.
    pub api_key: Option<SecretString>,
    /// For `auth.kind = "oauth2_client_credentials"`.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// For `auth.kind = "signed"`.
    pub app_id: Option<String>,
    pub app_secret: Option<SecretString>,
    #[serde(with = "humantime_serde")]
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub max_in_flight: Option<u32>,
    #[serde(with = "humantime_serde")]
    pub cache_ttl: Option<Duration>,
    #[serde(with = "humantime_serde")]
    pub stale_for: Option<Duration>,
}

impl SystemSettings {
    /// A system at `base_url` with every other value defaulted.
    pub fn at(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }
}

/// How the hub calls a department: timeouts, retries, breaker, concurrency and cache.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tuning {
    /// Longest single attempt (always capped by the request's deadline).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Longest wait for a connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Extra attempts of a safe read after a transient failure.
    pub retries: u32,
    /// First backoff; doubles each attempt, with full jitter.
    #[serde(with = "humantime_serde")]
    pub backoff: Duration,
    /// Longest backoff (also the longest `Retry-After` the hub waits for).
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
    /// Consecutive failures that open the circuit.
    pub breaker_failures: u32,
    /// How long an open circuit waits before one probe call.
    #[serde(with = "humantime_serde")]
    pub breaker_cooldown: Duration,
    /// Calls in flight to the department at most, for the whole hub (0: unbounded).
    pub max_in_flight: u32,
    /// Calls a second the department allows, for the whole hub (0: no cap).
    pub rate_per_sec: u32,
    /// How long an answer is served from the cache as fresh.
    #[serde(with = "humantime_serde")]
    pub cache_ttl: Duration,
    /// How long after that it may still be served, marked stale, when the department fails.
    #[serde(with = "humantime_serde")]
    pub stale_for: Duration,
    /// Answers kept in the cache at most.
    pub cache_capacity: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            retries: 2,
            backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(10),
            max_in_flight: 0,
            rate_per_sec: 0,
            cache_ttl: Duration::from_secs(60),
            stale_for: Duration::from_secs(3600),
            cache_capacity: 50_000,
        }
    }
}

/// One department: where it is, the hub's credentials there, and overrides of the
/// [`Tuning`] defaults. Credentials a department does not use are refused by
/// [`DepartmentsSettings::validate`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DepartmentSettings {
    /// e.g. `https://ybj.jl.gov.cn`; empty: not configured.
    pub base_url: String,
    /// 人社: the `X-Api-Key`.
    pub api_key: Option<SecretString>,
    /// 公安: the OAuth2 client id.
    pub client_id: Option<String>,
    /// 公安: the OAuth2 client secret.
    pub client_secret: Option<SecretString>,
    /// 公安: renew the access token this long before it expires (default 30s).
    #[serde(with = "humantime_serde")]
    pub token_refresh_before: Option<Duration>,
    /// 医保: the hub's sender code, the prefix of every `msgid`.
    pub sender_code: Option<String>,
    /// 医保: the caller's 6-digit division code (`mdtrtarea_admvs`, default `220000`).
    pub division: Option<String>,
    /// 医保: the receiving system code (`recer_sys_code`).
    pub receiver_code: Option<String>,
    /// 医保: the operator named in the envelope (`opter`, default `cunhub`).
    pub operator: Option<String>,
    #[serde(with = "humantime_serde")]
    pub timeout: Option<Duration>,
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Option<Duration>,
    pub retries: Option<u32>,
    #[serde(with = "humantime_serde")]
    pub backoff: Option<Duration>,
    #[serde(with = "humantime_serde")]
    pub max_backoff: Option<Duration>,
    pub breaker_failures: Option<u32>,
    #[serde(with = "humantime_serde")]
    pub breaker_cooldown: Option<Duration>,
    /// Medical insurance defaults to 16, the platform's own limit.
    pub max_in_flight: Option<u32>,
    /// Calls a second the department allows the hub (no cap unless set).
    pub rate_per_sec: Option<u32>,
    #[serde(with = "humantime_serde")]
    pub cache_ttl: Option<Duration>,
    #[serde(with = "humantime_serde")]
    pub stale_for: Option<Duration>,
    pub cache_capacity: Option<usize>,
}

impl DepartmentSettings {
    /// A department at `base_url` with every other value defaulted.
    pub fn at(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }

    /// The defaults with this department's overrides applied.
    pub fn tuning(&self, defaults: &Tuning) -> Tuning {
        Tuning {
            timeout: self.timeout.unwrap_or(defaults.timeout),
            connect_timeout: self.connect_timeout.unwrap_or(defaults.connect_timeout),
            retries: self.retries.unwrap_or(defaults.retries),
            backoff: self.backoff.unwrap_or(defaults.backoff),
            max_backoff: self.max_backoff.unwrap_or(defaults.max_backoff),
            breaker_failures: self.breaker_failures.unwrap_or(defaults.breaker_failures),
            breaker_cooldown: self.breaker_cooldown.unwrap_or(defaults.breaker_cooldown),
            max_in_flight: self.max_in_flight.unwrap_or(defaults.max_in_flight),
            rate_per_sec: self.rate_per_sec.unwrap_or(defaults.rate_per_sec),
            cache_ttl: self.cache_ttl.unwrap_or(defaults.cache_ttl),
            stale_for: self.stale_for.unwrap_or(defaults.stale_for),
            cache_capacity: self.cache_capacity.unwrap_or(defaults.cache_capacity),
        }
    }
}

/// A setting that cannot work, named by its TOML path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("departments.{path}: {problem}")]
pub struct SettingsError {
    pub path: String,
    pub problem: String,
}

impl DepartmentsSettings {
    /// The rows of the settings table, with these values as the defaults. Only the
    /// settings an operator usually sets are listed; the module documentation shows the
    /// rest.
    pub fn rows(&self) -> Vec<SettingRow> {
        let url = |dept: &DepartmentSettings| match dept.base_url.as_str() {
            "" => "none".to_owned(),
            url => code(url),
        };
        let set_or_none = |set: bool| if set { "configured" } else { "none" };
        let medical = &self.medical_insurance;
        let police = &self.public_security;
        vec![
            SettingRow::new(
                "departments.defaults.timeout",
                "CUNHUB_DEPARTMENTS_TIMEOUT",
                duration(self.defaults.timeout),
                "longest single department call (always capped by the request deadline)",
            ),
            SettingRow::new(
                "departments.defaults.retries",
                "CUNHUB_DEPARTMENTS_RETRIES",
                code(self.defaults.retries),
                "extra attempts of a safe read, with backoff and jitter, honouring \
                 `Retry-After`",
            ),
            SettingRow::new(
                "departments.defaults.cache_ttl",
                "CUNHUB_DEPARTMENTS_CACHE_TTL",
                duration(self.defaults.cache_ttl),
                "how long a department's answer is served from the cache",
            ),
            SettingRow::new(
                "departments.defaults.stale_for",
                "CUNHUB_DEPARTMENTS_STALE_FOR",
                duration(self.defaults.stale_for),
                "how long an older answer may be served, marked `STALE`, while the \
                 department fails",
            ),
            SettingRow::new(
                "departments.definitions_dir",
                "CUNHUB_DEPARTMENTS_DEFINITIONS_DIR",
                self.definitions_dir
                    .as_ref()
                    .map_or_else(|| "none".into(), |d| code(d.display())),
                "a folder of department definitions (`*.toml`) read at start besides the \
                 built-in ones; each system's address and credentials go in \
                 `[departments.systems.NAME]`",
            ),
            SettingRow::new(
                "departments.medical_insurance.base_url",
                "CUNHUB_MEDICAL_INSURANCE_URL",
                url(medical),
                "the medical insurance platform (empty: not configured)",
            ),
            SettingRow::new(
                "departments.medical_insurance.sender_code",
                "CUNHUB_MEDICAL_INSURANCE_SENDER_CODE",
                // Unset, the medical adapter sends as CUNHUB.
                code(medical.sender_code.as_deref().unwrap_or("CUNHUB")),
                "the hub's sender code in the envelope",
            ),
            SettingRow::new(
                "departments.social_security.base_url",
                "CUNHUB_SOCIAL_SECURITY_URL",
                url(&self.social_security),
                "the social security platform",
            ),
            SettingRow::new(
                "departments.social_security.api_key",
                "CUNHUB_SOCIAL_SECURITY_API_KEY",
                set_or_none(self.social_security.api_key.is_some()),
                "its `X-Api-Key`; never logged",
            ),
            SettingRow::new(
                "departments.civil_affairs.base_url",
                "CUNHUB_CIVIL_AFFAIRS_URL",
                url(&self.civil_affairs),
                "the civil affairs SOAP service",
            ),
            SettingRow::new(
                "departments.public_security.base_url",
                "CUNHUB_PUBLIC_SECURITY_URL",
                url(police),
                "the household register",
            ),
            SettingRow::new(
                "departments.public_security.client_id",
                "CUNHUB_PUBLIC_SECURITY_CLIENT_ID",
                police
                    .client_id
                    .as_deref()
                    .map_or_else(|| "none".into(), code),
                "its OAuth2 client id",
            ),
            SettingRow::new(
                "departments.public_security.client_secret",
                "CUNHUB_PUBLIC_SECURITY_CLIENT_SECRET",
                set_or_none(police.client_secret.is_some()),
                "its OAuth2 client secret; never logged",
            ),
        ]
    }

    /// Checks what serde cannot: URLs, credentials a department uses or does not, and
    /// values that would disable a safety net.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let err = |path: String, problem: &str| SettingsError {
            path,
            problem: problem.to_owned(),
        };
        check_tuning("defaults", &self.defaults)?;
        let all = [
            ("medical_insurance", &self.medical_insurance),
            ("social_security", &self.social_security),
            ("civil_affairs", &self.civil_affairs),
            ("public_security", &self.public_security),
        ];
        for (name, dept) in all {
            check_tuning(name, &dept.tuning(&self.defaults))?;
            if !dept.base_url.is_empty() {
                match url::Url::parse(&dept.base_url) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                    _ => {
                        return Err(err(
                            format!("{name}.base_url"),
                            "must be an http(s) URL or empty",
                        ));
                    }
                }
            }
            let medical = name == "medical_insurance";
            let unused: [(&str, bool); 8] = [
                (
                    "api_key",
                    dept.api_key.is_some() && name != "social_security",
                ),
                (
                    "client_id",
                    dept.client_id.is_some() && name != "public_security",
                ),
                (
                    "client_secret",
                    dept.client_secret.is_some() && name != "public_security",
                ),
                (
                    "token_refresh_before",
                    dept.token_refresh_before.is_some() && name != "public_security",
                ),
                ("sender_code", dept.sender_code.is_some() && !medical),
                ("division", dept.division.is_some() && !medical),
                ("receiver_code", dept.receiver_code.is_some() && !medical),
                ("operator", dept.operator.is_some() && !medical),
            ];
            if let Some((key, _)) = unused.iter().find(|(_, bad)| *bad) {
                return Err(err(
                    format!("{name}.{key}"),
                    "is not used by this department",
                ));
            }
        }
        if let Some(d) = &self.medical_insurance.division
            && (d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(err(
                "medical_insurance.division".into(),
                "must be a 6-digit division code",
            ));
        }
        Ok(())
    }
}

fn check_tuning(name: &str, tuning: &Tuning) -> Result<(), SettingsError> {
    let problem = if tuning.timeout.is_zero() {
        Some(("timeout", "must be above zero"))
    } else if tuning.breaker_failures == 0 {
        Some(("breaker_failures", "must be at least 1"))
    } else if tuning.retries > 10 {
        Some(("retries", "must be at most 10"))
    } else {
        None
    };
    match problem {
        Some((key, problem)) => Err(SettingsError {
            path: format!("{name}.{key}"),
            problem: problem.to_owned(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn parse(text: &str) -> Result<DepartmentsSettings, String> {
        #[derive(Deserialize)]
        struct Root {
            departments: DepartmentsSettings,
        }
        let root: Root = toml_like(text)?;
        Ok(root.departments)
    }

    // figment is the hub's settings loader; use it here too so the shape is the real one.
    fn toml_like<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        use figment::Figment;
        use figment::providers::{Format, Toml};
        Figment::from(Toml::string(text))
            .extract()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn overrides_replace_defaults_per_department() {
        let s = parse(
            r#"
            [departments.defaults]
            timeout = "3s"
            retries = 1
            [departments.social_security]
            base_url = "http://127.0.0.1:1"
            api_key = "k"
            timeout = "500ms"
            "#,
        )
        .unwrap();
        s.validate().unwrap();
        let social = s.social_security.tuning(&s.defaults);
        assert_eq!(social.timeout, Duration::from_millis(500));
        assert_eq!(social.retries, 1);
        let civil = s.civil_affairs.tuning(&s.defaults);
        assert_eq!(civil.timeout, Duration::from_secs(3));
        assert_eq!(s.social_security.api_key.unwrap().expose_secret(), "k");
    }

    #[test]
    fn unknown_keys_and_misplaced_credentials_are_refused() {
        assert!(parse("[departments.defaults]\ntimout = \"1s\"").is_err());
        let s = parse("[departments.civil_affairs]\napi_key = \"k\"").unwrap();
        let e = s.validate().unwrap_err();
        assert_eq!(e.path, "civil_affairs.api_key");
        let s = parse("[departments.medical_insurance]\nbase_url = \"ftp://x\"").unwrap();
        assert!(s.validate().is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = parse(
            "[departments.public_security]\nclient_id = \"c\"\nclient_secret = \"s3cr3t-value\"",
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn defaults_point_nowhere() {
        let s = DepartmentsSettings::default();
        s.validate().unwrap();
        assert!(s.medical_insurance.base_url.is_empty());
    }
}
