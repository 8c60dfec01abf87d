//! The `[database]` and `[privacy]` settings sections: the hub's own database and the
//! keys that protect ID numbers in it.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code};

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

impl DatabaseSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let url = &self.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Some((
                "database.url",
                "must start with sqlite: or postgres://".into(),
            ));
        }
        if self.max_connections == 0 {
            return Some(("database.max_connections", "must be at least 1".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "database.url",
                "CUNHUB_DATABASE_URL",
                code(&self.url),
                "SQLite file (created if missing) or `postgres://USER@HOST/DB`",
            ),
            SettingRow::new(
                "database.max_connections",
                "CUNHUB_DATABASE_MAX_CONNECTIONS",
                code(self.max_connections),
                "connection pool size",
            ),
        ]
    }
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
    pub lookup_keys: BTreeMap<String, SecretString>,
    /// The lookup key version new records are hashed with; 0 means the highest configured.
    pub lookup_key_version: u32,
    /// Encryption keys by version (base64, 32 bytes each); old versions stay to decrypt.
    #[serde(skip_serializing)]
    pub encryption_keys: BTreeMap<String, SecretString>,
    /// The version new records are encrypted with; 0 means the highest configured.
    pub encryption_key_version: u32,
}

impl PrivacySettings {
    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        let highest = |version: u32| match version {
            0 => format!("{} (highest)", code(0)),
            version => code(version),
        };
        vec![
            SettingRow::new(
                "privacy.lookup_key",
                "CUNHUB_PRIVACY_LOOKUP_KEY",
                secret_default(self.lookup_key.is_some()),
                "HMAC-SHA256 key (base64, 32 bytes) that finds ID numbers: lookup key \
                 version 1; never logged",
            ),
            SettingRow::new(
                "privacy.lookup_keys",
                "CUNHUB_PRIVACY_LOOKUP_KEYS",
                if self.lookup_keys.is_empty() {
                    "none"
                } else {
                    "configured"
                },
                "lookup keys by version, e.g. `{ 2 = \"base64…\" }` (version 1 may be \
                 `privacy.lookup_key`); a lookup tries every version, the current one first; \
                 never logged",
            ),
            SettingRow::new(
                "privacy.lookup_key_version",
                "CUNHUB_PRIVACY_LOOKUP_KEY_VERSION",
                highest(self.lookup_key_version),
                "lookup key version new residents are hashed with",
            ),
            SettingRow::new(
                "privacy.encryption_keys",
                "CUNHUB_PRIVACY_ENCRYPTION_KEYS",
                secret_default(!self.encryption_keys.is_empty()),
                "ID-number encryption keys by version, e.g. `{ 1 = \"base64…\", 2 = \
                 \"base64…\" }`; old versions keep decrypting",
            ),
            SettingRow::new(
                "privacy.encryption_key_version",
                "CUNHUB_PRIVACY_ENCRYPTION_KEY_VERSION",
                highest(self.encryption_key_version),
                "key version new records are sealed with",
            ),
        ]
    }
}

// A configured secret is never shown, not even in the table.
fn secret_default(configured: bool) -> &'static str {
    if configured {
        "configured"
    } else {
        "development key"
    }
}
