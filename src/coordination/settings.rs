//! The `[coordination]` settings: the Redis that several hub instances share their
//! department budgets and client limits through. Empty `url` (the default): one instance
//! counts alone, as the embedded single-instance hub always has.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

/// Where the instances meet, and how they split what they share.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoordinationSettings {
    /// `redis://host:6379/0` (or `rediss://`); empty: no coordination.
    pub url: String,
    /// How many instances serve; without Redis each keeps to `1 / instances` of every
    /// department's budget.
    pub instances: u32,
    /// How much of a department's rate an instance leases at a time.
    #[serde(with = "humantime_serde")]
    pub lease_slice: Duration,
    /// How long leased calls in flight stay counted without renewal (a dead instance's
    /// come back after it).
    #[serde(with = "humantime_serde")]
    pub permit_ttl: Duration,
    /// The prefix of every key, so several hubs (or tests) can share one Redis.
    pub key_prefix: String,
    /// Longest wait for one Redis answer before the instance counts alone.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// How long an instance that lost Redis counts alone before it asks again.
    #[serde(with = "humantime_serde")]
    pub retry_after: Duration,
}

impl Default for CoordinationSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            instances: 1,
            lease_slice: Duration::from_millis(100),
            permit_ttl: Duration::from_secs(10),
            key_prefix: "cunhub".into(),
            timeout: Duration::from_millis(250),
            retry_after: Duration::from_secs(1),
        }
    }
}

// The URL may carry a password: only its scheme and host are shown.
impl std::fmt::Debug for CoordinationSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match url::Url::parse(&self.url) {
            Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()),
            Err(_) if self.url.is_empty() => String::new(),
            Err(_) => "[unparsable]".into(),
        };
        f.debug_struct("CoordinationSettings")
            .field("url", &url)
            .field("instances", &self.instances)
            .field("lease_slice", &self.lease_slice)
            .field("permit_ttl", &self.permit_ttl)
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl CoordinationSettings {
    /// Whether instances coordinate through Redis.
    pub fn enabled(&self) -> bool {
        !self.url.is_empty()
    }

    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.enabled() {
            match url::Url::parse(&self.url) {
                Ok(u) if matches!(u.scheme(), "redis" | "rediss") => {}
                _ => {
                    return Some((
                        "coordination.url",
                        "must be a redis:// or rediss:// URL, or empty".into(),
                    ));
                }
            }
        }
        if self.instances == 0 {
            return Some(("coordination.instances", "must be at least 1".into()));
        }
        if self.lease_slice < Duration::from_millis(10) || self.lease_slice > Duration::from_secs(1)
        {
            return Some(("coordination.lease_slice", "from 10ms to 1s".into()));
        }
        if self.permit_ttl < Duration::from_secs(1) {
            return Some(("coordination.permit_ttl", "at least 1s".into()));
        }
        if self.timeout.is_zero() {
            return Some(("coordination.timeout", "must be above zero".into()));
        }
        if self.key_prefix.is_empty() || self.key_prefix.contains(char::is_whitespace) {
            return Some((
                "coordination.key_prefix",
                "must be a word without spaces".into(),
            ));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "coordination.url",
                "CUNHUB_COORDINATION_URL",
                "none",
                "the Redis several instances share department budgets and client limits \
                 through (empty: each instance counts alone)",
            ),
            SettingRow::new(
                "coordination.instances",
                "CUNHUB_COORDINATION_INSTANCES",
                code(self.instances),
                "how many instances serve; while Redis is unreachable each keeps to its \
                 share (budget ÷ instances)",
            ),
            SettingRow::new(
                "coordination.lease_slice",
                "CUNHUB_COORDINATION_LEASE_SLICE",
                duration(self.lease_slice),
                "how much of a department's rate an instance leases from Redis at a time",
            ),
            SettingRow::new(
                "coordination.permit_ttl",
                "CUNHUB_COORDINATION_PERMIT_TTL",
                duration(self.permit_ttl),
                "how long leased calls in flight count without renewal (a dead \
                 instance's return after it)",
            ),
            SettingRow::new(
                "coordination.timeout",
                "CUNHUB_COORDINATION_TIMEOUT",
                duration(self.timeout),
                "longest wait for one Redis answer before the instance counts alone",
            ),
            SettingRow::new(
                "coordination.retry_after",
                "CUNHUB_COORDINATION_RETRY_AFTER",
                duration(self.retry_after),
                "how long an instance that lost Redis counts alone before it asks again",
            ),
            SettingRow::new(
                "coordination.key_prefix",
                "CUNHUB_COORDINATION_KEY_PREFIX",
                code(&self.key_prefix),
                "the prefix of the hub's Redis keys",
            ),
        ]
    }
}
