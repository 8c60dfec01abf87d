//! One row of the settings table: a setting's key in the TOML file, its environment
//! variable, its default and what it does. Each module declares the rows of the
//! settings it consumes; `config` maps environment variables through them and the
//! README's table is rendered from them.

use std::{fmt::Display, time::Duration};

/// A documented setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRow {
    /// The dotted key in the TOML file, e.g. `server.bind`.
    pub key: &'static str,
    /// The `CUNHUB_*` environment variable that sets it.
    pub variable: &'static str,
    /// The default as the README shows it (markdown).
    pub default: String,
    /// What the setting does (markdown).
    pub meaning: &'static str,
}

impl SettingRow {
    pub fn new(
        key: &'static str,
        variable: &'static str,
        default: impl Into<String>,
        meaning: &'static str,
    ) -> Self {
        Self {
            key,
            variable,
            default: default.into(),
            meaning,
        }
    }
}

/// A value as code: `value`.
pub fn code(value: impl Display) -> String {
    format!("`{value}`")
}

/// A duration as code, written as a settings file would write it (`30s`, `1m`).
pub fn duration(value: Duration) -> String {
    code(humantime::format_duration(value))
}
