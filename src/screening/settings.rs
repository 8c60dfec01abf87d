//! The `[screening]` settings section.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

/// How screening runs are scheduled and how much of the departments they may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreeningSettings {
    /// Time between scheduled runs in `serve`; zero (the default) schedules none.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// The region scheduled runs screen (a code prefix; default the province).
    pub region: String,
    /// The share of each department's calls in flight a run from `cunhub screen` may hold
    /// (0–1). A run inside `serve` takes every place, since requests come first there.
    pub share: f64,
    /// Calls in flight assumed for a department whose settings set no `max_in_flight`.
    pub assumed_capacity: u32,
    /// Calls per second a run may make to each department (0: no rate cap).
    pub rate_per_sec: f64,
    /// Age from which ELDERLY_NO_ALLOWANCE applies.
    pub elderly_age: u32,
    /// How long a run's lease lasts without renewal (a killed run's region is free after it).
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
}

impl Default for ScreeningSettings {
    fn default() -> Self {
        Self {
            interval: Duration::ZERO,
            region: "22".into(),
            share: 0.5,
            assumed_capacity: 16,
            rate_per_sec: 1000.0,
            elderly_age: 80,
            lease: Duration::from_secs(120),
        }
    }
}

impl ScreeningSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(self.share > 0.0 && self.share <= 1.0) {
            return Some(("screening.share", "must be above 0 and at most 1".into()));
        }
        if self.assumed_capacity == 0 {
            return Some(("screening.assumed_capacity", "must be at least 1".into()));
        }
        if !(self.rate_per_sec >= 0.0 && self.rate_per_sec.is_finite()) {
            return Some(("screening.rate_per_sec", "must be 0 or more".into()));
        }
        if self.lease < Duration::from_secs(5) {
            return Some(("screening.lease", "at least 5s".into()));
        }
        if !self.interval.is_zero() && self.interval < Duration::from_secs(60) {
            return Some(("screening.interval", "0 (off) or at least 1m".into()));
        }
        if crate::domain::RegionCode::parse(&self.region).is_err() {
            return Some(("screening.region", "must be a division code prefix".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "screening.interval",
                "CUNHUB_SCREENING_INTERVAL",
                duration(self.interval),
                "time between scheduled screening runs in `serve` (0: none)",
            ),
            SettingRow::new(
                "screening.region",
                "CUNHUB_SCREENING_REGION",
                code(&self.region),
                "region the scheduled runs screen",
            ),
            SettingRow::new(
                "screening.share",
                "CUNHUB_SCREENING_SHARE",
                code(self.share),
                "share of each department's calls in flight a `cunhub screen` run may hold (a run in `serve` takes all: requests go first)",
            ),
            SettingRow::new(
                "screening.assumed_capacity",
                "CUNHUB_SCREENING_ASSUMED_CAPACITY",
                code(self.assumed_capacity),
                "calls in flight assumed where a department sets no `max_in_flight`",
            ),
            SettingRow::new(
                "screening.rate_per_sec",
                "CUNHUB_SCREENING_RATE_PER_SEC",
                code(self.rate_per_sec),
                "calls per second a run may make to each department (0: uncapped)",
            ),
            SettingRow::new(
                "screening.elderly_age",
                "CUNHUB_SCREENING_ELDERLY_AGE",
                code(self.elderly_age),
                "age from which the old-age allowance is owed",
            ),
            SettingRow::new(
                "screening.lease",
                "CUNHUB_SCREENING_LEASE",
                duration(self.lease),
                "how long a run holds its region without renewal",
            ),
        ]
    }
}
