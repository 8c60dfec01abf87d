//! The `[access]` settings section: the access policy in force.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code};

/// The access policy in force.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AccessSettings {
    /// A TOML policy file replacing the built-in access matrix.
    pub policy_file: Option<PathBuf>,
}

impl AccessSettings {
    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![SettingRow::new(
            "access.policy_file",
            "CUNHUB_POLICY_FILE",
            self.policy_file
                .as_ref()
                .map_or_else(|| "built-in".into(), |path| code(path.display())),
            "a TOML access policy replacing the built-in matrix (also `--policy FILE`); \
             `cunhub policy show` prints the built-in one, `cunhub policy check FILE` \
             explains mistakes",
        )]
    }
}
