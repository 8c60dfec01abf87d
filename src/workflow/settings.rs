//! The `[workflow]` settings section.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

/// Deadlines of the service-request steps and how often overdue steps are looked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowSettings {
    /// Working days the township has to accept (or return) a reported need.
    pub accept_days: u32,
    /// Working days the township has to resolve or route an accepted request.
    pub township_days: u32,
    /// Working days the village has to confirm a resolved request or resubmit a returned one.
    pub village_days: u32,
    /// How often the hub looks for steps past their deadline and escalates them.
    #[serde(with = "humantime_serde")]
    pub overdue_check_interval: Duration,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            accept_days: 1,
            township_days: 3,
            village_days: 2,
            overdue_check_interval: Duration::from_secs(60),
        }
    }
}

impl WorkflowSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        for (key, days) in [
            ("workflow.accept_days", self.accept_days),
            ("workflow.township_days", self.township_days),
            ("workflow.village_days", self.village_days),
        ] {
            if !(1..=60).contains(&days) {
                return Some((key, "1 to 60 working days".into()));
            }
        }
        if self.overdue_check_interval < Duration::from_millis(50) {
            return Some(("workflow.overdue_check_interval", "at least 50ms".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "workflow.accept_days",
                "CUNHUB_WORKFLOW_ACCEPT_DAYS",
                code(self.accept_days),
                "working days the township has to accept a reported need",
            ),
            SettingRow::new(
                "workflow.township_days",
                "CUNHUB_WORKFLOW_TOWNSHIP_DAYS",
                code(self.township_days),
                "working days the township has to resolve or route an accepted request",
            ),
            SettingRow::new(
                "workflow.village_days",
                "CUNHUB_WORKFLOW_VILLAGE_DAYS",
                code(self.village_days),
                "working days the village has to confirm or resubmit",
            ),
            SettingRow::new(
                "workflow.overdue_check_interval",
                "CUNHUB_WORKFLOW_OVERDUE_CHECK_INTERVAL",
                duration(self.overdue_check_interval),
                "how often steps past their deadline are escalated",
            ),
        ]
    }

    pub fn step_limits(&self) -> super::lifecycle::StepLimits {
        super::lifecycle::StepLimits {
            accept_days: self.accept_days,
            township_days: self.township_days,
            village_days: self.village_days,
        }
    }
}
