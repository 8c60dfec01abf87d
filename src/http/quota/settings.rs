//! The `[client_limits]` settings: requests per second and per day, per subject and per
//! client application, for each role that has any.
//!
//! ```toml
//! [client_limits.village_assistant]
//! subject_per_second = 5        # one person's requests
//! subject_per_day = 5000
//! client_per_second = 50        # all requests of one application (`azp` / `client_id`)
//! client_per_day = 200000
//! ```
//!
//! Zero or absent: no limit of that kind. A role without a table has no limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::auth::Role;

/// The limits of every role that has some, by the role's claim value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientLimitsSettings(pub BTreeMap<String, RoleLimits>);

/// One role's limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoleLimits {
    pub subject_per_second: u32,
    pub subject_per_day: u32,
    pub client_per_second: u32,
    pub client_per_day: u32,
}

impl ClientLimitsSettings {
    /// `role`'s limits, if it has any.
    pub fn of(&self, role: Role) -> Option<&RoleLimits> {
        self.0
            .get(role.as_str())
            .filter(|l| **l != RoleLimits::default())
    }

    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        self.0
            .keys()
            .find(|name| Role::parse(name).is_none())
            .map(|name| ("client_limits", format!("`{name}` is not a role")))
    }
}
