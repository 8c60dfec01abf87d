//! The `[documents]` settings section: trusted documents and automatic persisted queries.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{
    auth::Role,
    settings_row::{SettingRow, code},
};

/// Registered operations (trusted documents) and automatic persisted queries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsSettings {
    /// A manifest of registered operations, or a folder of them (`*.json`): the
    /// `persisted-documents.json` of graphql-codegen's client preset, Relay's
    /// `persisted_queries.json` (both `{ id: document }`), or Apollo's operation manifest.
    pub manifest: Option<PathBuf>,
    /// Answer Apollo's automatic persisted queries (a hash first, the text once).
    pub automatic: bool,
    /// How many automatically persisted queries are kept (least recently used go first).
    pub automatic_capacity: usize,
    /// Who may only run registered documents: role names, `anonymous`, `*` for everyone,
    /// and `!role` to leave a role out (`["*", "!admin"]`).
    #[serde(deserialize_with = "crate::http::settings::list")]
    pub trusted_only: Vec<String>,
}

impl Default for DocumentsSettings {
    fn default() -> Self {
        Self {
            manifest: None,
            automatic: true,
            automatic_capacity: 1000,
            trusted_only: Vec::new(),
        }
    }
}

impl DocumentsSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Some(path) = &self.manifest
            && !path.exists()
        {
            return Some((
                "documents.manifest",
                format!("{} does not exist", path.display()),
            ));
        }
        if self.automatic && self.automatic_capacity == 0 {
            return Some((
                "documents.automatic_capacity",
                "at least 1 while documents.automatic is on".into(),
            ));
        }
        let unknown = self.trusted_only.iter().find(|entry| {
            let name = entry.strip_prefix('!').unwrap_or(entry);
            !(name == "*" || name == "anonymous" || Role::parse(name).is_some())
        });
        if let Some(entry) = unknown {
            return Some((
                "documents.trusted_only",
                format!("`{entry}` is not a role, `anonymous`, `*` or `!role`"),
            ));
        }
        if !self.trusted_only.is_empty() && self.manifest.is_none() {
            return Some((
                "documents.trusted_only",
                "needs documents.manifest: the registered documents".into(),
            ));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "documents.manifest",
                "CUNHUB_DOCUMENTS_MANIFEST",
                "none",
                "registered operations: a file or a folder of `*.json` (graphql-codegen's \
                 `persisted-documents.json`, Relay's `persisted_queries.json` or Apollo's \
                 operation manifest); run by `documentId` or the APQ hash",
            ),
            SettingRow::new(
                "documents.automatic",
                "CUNHUB_DOCUMENTS_AUTOMATIC",
                code(self.automatic),
                "answer Apollo's automatic persisted queries (`PERSISTED_QUERY_NOT_FOUND` \
                 asks for the text once); off: `PERSISTED_QUERY_NOT_SUPPORTED`",
            ),
            SettingRow::new(
                "documents.automatic_capacity",
                "CUNHUB_DOCUMENTS_AUTOMATIC_CAPACITY",
                code(self.automatic_capacity),
                "automatically persisted queries kept in memory (least recently used go \
                 first)",
            ),
            SettingRow::new(
                "documents.trusted_only",
                "CUNHUB_DOCUMENTS_TRUSTED_ONLY",
                "none",
                "who may run registered documents only (`PERSISTED_QUERY_NOT_IN_LIST` \
                 otherwise): role names, `anonymous`, `*`, `!role` to leave one out, e.g. \
                 `*,!admin`",
            ),
        ]
    }
}
