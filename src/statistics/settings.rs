//! The `[statistics]` settings section.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

/// How often snapshots are taken and how small a published count may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatisticsSettings {
    /// Counts from 1 to `threshold − 1` are withheld (small-cell suppression).
    pub threshold: i64,
    /// How often a new snapshot is taken from the rollups.
    #[serde(with = "humantime_serde")]
    pub snapshot_interval: Duration,
}

impl Default for StatisticsSettings {
    fn default() -> Self {
        Self {
            threshold: 5,
            snapshot_interval: Duration::from_secs(3600),
        }
    }
}

impl StatisticsSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(2..=100).contains(&self.threshold) {
            return Some(("statistics.threshold", "2 to 100".into()));
        }
        if self.snapshot_interval < Duration::from_millis(100) {
            return Some(("statistics.snapshot_interval", "at least 100ms".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "statistics.threshold",
                "CUNHUB_STATISTICS_THRESHOLD",
                code(self.threshold),
                "counts from 1 to threshold − 1 are withheld from dashboards (small-cell suppression)",
            ),
            SettingRow::new(
                "statistics.snapshot_interval",
                "CUNHUB_STATISTICS_SNAPSHOT_INTERVAL",
                duration(self.snapshot_interval),
                "how often a new statistics snapshot is taken from the rollups",
            ),
        ]
    }
}
