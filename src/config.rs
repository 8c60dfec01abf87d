//! The hub's settings: the sections the modules define, composed into one struct and
//! read from defaults, an optional TOML file, `CUNHUB_*` environment variables and
//! command-line flags, in that order of precedence. No other module reads the
//! environment. Each section checks its own values and lists its own rows of the settings
//! table; the README's table is rendered from those rows.

use std::path::PathBuf;

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::{
    adapters::settings::DepartmentsSettings,
    audit::AuditSettings,
    auth::AuthSettings,
    coordination::CoordinationSettings,
    graphql::QueryLimits,
    http::{DocumentsSettings, ServerSettings, quota::ClientLimitsSettings},
    policy::AccessSettings,
    screening::ScreeningSettings,
    settings_row::SettingRow,
    statistics::StatisticsSettings,
    store::{DatabaseSettings, PrivacySettings},
    telemetry::{LogSettings, TracingSettings},
    workflow::WorkflowSettings,
};

/// All settings of the hub.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    /// Registered operations and automatic persisted queries.
    pub documents: DocumentsSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
    pub limits: QueryLimits,
    pub privacy: PrivacySettings,
    pub access: AccessSettings,
    /// The departmental systems: shared defaults and per-department overrides.
    #[serde(skip_serializing)]
    pub departments: DepartmentsSettings,
    /// Requests per second and per day per subject and per client application, by role.
    pub client_limits: ClientLimitsSettings,
    /// The Redis several instances share department budgets and client limits through.
    pub coordination: CoordinationSettings,
    /// Region-wide cross-department checks: schedule and share of the departments.
    pub screening: ScreeningSettings,
    /// Service-request deadlines and escalation.
    pub workflow: WorkflowSettings,
    /// Dashboard snapshots and small-cell suppression.
    pub statistics: StatisticsSettings,
    pub log: LogSettings,
    /// Traces to an OpenTelemetry collector.
    pub tracing: TracingSettings,
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

    /// Checks what serde cannot (addresses, URLs, algorithms and ranges), section by
    /// section; the first bad value is named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problem = self
            .server
            .problem()
            .or_else(|| self.documents.problem())
            .or_else(|| self.database.problem())
            .or_else(|| self.auth.problem())
            .or_else(|| self.audit.problem())
            .or_else(|| self.limits.problem())
            .or_else(|| self.coordination.problem())
            .or_else(|| self.client_limits.problem())
            .or_else(|| self.screening.problem())
            .or_else(|| self.workflow.problem())
            .or_else(|| self.statistics.problem())
            .or_else(|| self.log.problem())
            .or_else(|| self.tracing.problem());
        if let Some((key, reason)) = problem {
            return Err(ConfigError::Setting { key, reason });
        }
        if let Err(err) = self.departments.validate() {
            return Err(ConfigError::Invalid(format!("departments: {err}")));
        }
        Ok(())
    }

    /// Whether tokens are signed with the well-known development secret.
    pub fn uses_development_secret(&self) -> bool {
        self.auth.uses_development_secret()
    }

    /// What `cunhub serve` demands beyond [`validate`](Self::validate): a real key to
    /// verify tokens with. The demo, which runs on the development secret, skips it.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        match self.auth.production_problem() {
            Some((key, reason)) => Err(ConfigError::Setting { key, reason }),
            None => Ok(()),
        }
    }

    /// Every setting, section by section in the README's order, with these values as
    /// the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        [
            self.server.rows(),
            self.documents.rows(),
            self.database.rows(),
            self.auth.rows(),
            self.audit.rows(),
            self.limits.rows(),
            self.access.rows(),
            self.privacy.rows(),
            self.departments.rows(),
            self.coordination.rows(),
            self.screening.rows(),
            self.workflow.rows(),
            self.statistics.rows(),
            self.log.rows(),
            self.tracing.rows(),
        ]
        .concat()
    }
}

/// The README's settings table (header included), rendered from the defaults.
pub fn settings_table() -> String {
    let mut table = String::from("| key | variable | default | meaning |\n|---|---|---|---|\n");
    for row in Settings::default().rows() {
        table.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            row.key, row.variable, row.default, row.meaning
        ));
    }
    table
}

/// `CUNHUB_*` variables mapped to their keys through the settings' rows; any other
/// `CUNHUB_` variable is an unknown key and is rejected (the test suite's own
/// `CUNHUB_TEST_*` variables excepted).
fn environment() -> Env {
    let rows = Settings::default().rows();
    Env::raw().filter_map(move |key| {
        let name = key.as_str().to_ascii_uppercase();
        let rest = name.strip_prefix("CUNHUB_")?;
        if rest.starts_with("TEST_") {
            return None;
        }
        Some(match rows.iter().find(|row| row.variable == name) {
            Some(row) => row.key.into(),
            None => format!("unknown_environment_variable_{}", rest.to_ascii_lowercase()).into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::{ExposeSecret, SecretString};

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

    #[test]
    fn every_variable_names_one_setting() {
        let rows = Settings::default().rows();
        for (i, row) in rows.iter().enumerate() {
            assert!(row.variable.starts_with("CUNHUB_"), "{row:?}");
            assert!(
                rows[i + 1..]
                    .iter()
                    .all(|other| other.key != row.key && other.variable != row.variable),
                "{row:?} is listed twice"
            );
        }
    }

    #[test]
    fn configured_secrets_stay_out_of_the_table() {
        let mut settings = Settings::default();
        settings.auth.hs256_secret = Some(SecretString::from("super-secret-value"));
        settings.privacy.lookup_key = Some(SecretString::from("another-secret-value"));
        let rows = format!("{:?}", settings.rows());
        assert!(!rows.contains("secret-value"), "{rows}");
    }
}
