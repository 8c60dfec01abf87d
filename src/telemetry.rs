//! Structured logs through `tracing`, configured from the `[log]` settings alone.

use serde::{Deserialize, Serialize};
use tracing_subscriber::{EnvFilter, fmt};

use crate::settings_row::{SettingRow, code};

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

impl LogFormat {
    fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl LogSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if EnvFilter::try_new(&self.level).is_err() {
            return Some((
                "log.level",
                format!("`{}` is not a tracing filter", self.level),
            ));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "log.level",
                "CUNHUB_LOG_LEVEL",
                code(&self.level),
                "log filter, e.g. `info,cunhub=debug`",
            ),
            SettingRow::new(
                "log.format",
                "CUNHUB_LOG_FORMAT",
                code(self.format.name()),
                "`text` or `json`",
            ),
        ]
    }
}

/// Installs the global subscriber; a second call (as in tests) is a no-op.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
