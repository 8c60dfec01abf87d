//! The `[audit]` settings section: signed checkpoints of the audit chain.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

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

impl AuditSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.checkpoint_interval < Duration::from_secs(1) {
            return Some(("audit.checkpoint_interval", "at least 1s".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "audit.checkpoint_key",
                "CUNHUB_AUDIT_CHECKPOINT_KEY",
                if self.checkpoint_key.is_some() {
                    "configured"
                } else {
                    "development key"
                },
                "HMAC-SHA256 key (base64, 32 bytes) signing the audit chain head; keep it \
                 outside the database; never logged",
            ),
            SettingRow::new(
                "audit.checkpoint_key_version",
                "CUNHUB_AUDIT_CHECKPOINT_KEY_VERSION",
                code(self.checkpoint_key_version),
                "version recorded with each checkpoint; `audit verify` names a checkpoint \
                 whose version has no key as broken",
            ),
            SettingRow::new(
                "audit.retired_checkpoint_keys",
                "CUNHUB_AUDIT_RETIRED_CHECKPOINT_KEYS",
                if self.retired_checkpoint_keys.is_empty() {
                    "none"
                } else {
                    "configured"
                },
                "earlier checkpoint keys by version, e.g. `{ 1 = \"base64…\" }`, so that the \
                 checkpoints they signed still verify; never logged",
            ),
            SettingRow::new(
                "audit.checkpoint_interval",
                "CUNHUB_AUDIT_CHECKPOINT_INTERVAL",
                duration(self.checkpoint_interval),
                "how often the chain head is signed when it moved (and once at shutdown)",
            ),
        ]
    }
}
