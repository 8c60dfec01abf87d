//! The `[limits]` settings section: what every GraphQL document must stay within.

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code};

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

impl QueryLimits {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        self.rows()
            .into_iter()
            .zip([
                self.max_depth,
                self.max_complexity,
                self.max_aliases,
                self.max_root_fields,
                self.max_tokens,
                self.max_page_size,
            ])
            .find(|(_, value)| *value == 0)
            .map(|(row, _)| (row.key, "must be at least 1".into()))
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "limits.max_depth",
                "CUNHUB_LIMITS_MAX_DEPTH",
                code(self.max_depth),
                "deepest selection nesting (`QUERY_TOO_DEEP`)",
            ),
            SettingRow::new(
                "limits.max_complexity",
                "CUNHUB_LIMITS_MAX_COMPLEXITY",
                code(self.max_complexity),
                "largest query cost, lists counting `first` times (`QUERY_TOO_COMPLEX`)",
            ),
            SettingRow::new(
                "limits.max_aliases",
                "CUNHUB_LIMITS_MAX_ALIASES",
                code(self.max_aliases),
                "most aliases in a document (`TOO_MANY_ALIASES`)",
            ),
            SettingRow::new(
                "limits.max_root_fields",
                "CUNHUB_LIMITS_MAX_ROOT_FIELDS",
                code(self.max_root_fields),
                "most top-level fields in an operation (`TOO_MANY_ROOT_FIELDS`)",
            ),
            SettingRow::new(
                "limits.max_tokens",
                "CUNHUB_LIMITS_MAX_TOKENS",
                code(self.max_tokens),
                "most lexical tokens in a document (`TOO_MANY_TOKENS`)",
            ),
            SettingRow::new(
                "limits.max_page_size",
                "CUNHUB_LIMITS_MAX_PAGE_SIZE",
                code(self.max_page_size),
                "largest `first` of a connection",
            ),
        ]
    }
}
