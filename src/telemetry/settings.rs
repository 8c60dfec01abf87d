//! The `[log]` and `[tracing]` settings.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

use crate::settings_row::{SettingRow, code, duration};

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl LogSettings {
    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if EnvFilter::try_new(&self.level).is_err() {
            return Some((
                "log.level",
                format!("`{}` is not a tracing filter", self.level),
            ));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "log.level",
                "CUNHUB_LOG_LEVEL",
                code(&self.level),
                "log filter, e.g. `info,cunhub=debug`",
            ),
            SettingRow::new(
                "log.format",
                "CUNHUB_LOG_FORMAT",
                code(self.format.name()),
                "`text` or `json`",
            ),
        ]
    }
}

/// Traces exported over OTLP (HTTP/protobuf) to a collector; off without an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracingSettings {
    /// The collector's OTLP/HTTP address, e.g. `http://collector:4318`; empty: no tracing.
    pub endpoint: String,
    /// Headers sent with every export (`name=value,name=value`), e.g. a vendor's API key.
    /// Redacted in `Debug` and never serialised back out.
    #[serde(skip_serializing)]
    pub headers: Option<SecretString>,
    /// The share of new traces kept, 0 to 1; a caller's sampled `traceparent` is kept.
    pub sample_ratio: f64,
    /// `service.name` of the exported spans.
    pub service_name: String,
    /// `service.instance.id`; empty: a new UUID each time the hub starts.
    pub instance_id: String,
    /// How long one export may take before its spans are dropped.
    #[serde(with = "humantime_serde")]
    pub export_timeout: Duration,
    /// Finished spans waiting for export; past this, new spans are dropped.
    pub queue_size: usize,
}

impl Default for TracingSettings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            headers: None,
            sample_ratio: 1.0,
            service_name: "cunhub".into(),
            instance_id: String::new(),
            export_timeout: Duration::from_secs(10),
            queue_size: 2048,
        }
    }
}

impl TracingSettings {
    pub fn is_enabled(&self) -> bool {
        !self.endpoint.trim().is_empty()
    }

    /// The URL the spans are posted to: the endpoint, with `/v1/traces` when it names
    /// no path of its own.
    pub fn traces_url(&self) -> Option<url::Url> {
        let mut url = url::Url::parse(self.endpoint.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        if matches!(url.path(), "" | "/") {
            url.set_path("/v1/traces");
        }
        Some(url)
    }

    /// The export headers as pairs; `None` when one is not `name=value`.
    pub fn header_pairs(&self) -> Option<Vec<(String, String)>> {
        let Some(headers) = &self.headers else {
            return Some(Vec::new());
        };
        headers
            .expose_secret()
            .split(',')
            .filter(|pair| !pair.trim().is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let name = name.trim();
                (!name.is_empty()).then(|| (name.to_owned(), value.trim().to_owned()))
            })
            .collect()
    }

    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.is_enabled() && self.traces_url().is_none() {
            return Some((
                "tracing.endpoint",
                format!("`{}` is not an http(s) URL", self.endpoint),
            ));
        }
        if self.header_pairs().is_none() {
            return Some((
                "tracing.headers",
                "expected `name=value` pairs separated by commas".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return Some((
                "tracing.sample_ratio",
                format!("{} is not between 0 and 1", self.sample_ratio),
            ));
        }
        if self.service_name.trim().is_empty() {
            return Some(("tracing.service_name", "must not be empty".into()));
        }
        if self.queue_size == 0 {
            return Some(("tracing.queue_size", "must be at least 1".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "tracing.endpoint",
                "CUNHUB_TRACING_ENDPOINT",
                if self.endpoint.is_empty() {
                    "empty: off".to_owned()
                } else {
                    code(&self.endpoint)
                },
                "OpenTelemetry collector, OTLP over HTTP/protobuf, e.g. `http://collector:4318` (`/v1/traces` is added when no path is given)",
            ),
            SettingRow::new(
                "tracing.headers",
                "CUNHUB_TRACING_HEADERS",
                "none",
                "headers sent with each export, `name=value,name=value` (a secret: an API key of a tracing vendor)",
            ),
            SettingRow::new(
                "tracing.sample_ratio",
                "CUNHUB_TRACING_SAMPLE_RATIO",
                code(self.sample_ratio),
                "share of new traces exported, 0 to 1; a caller's `traceparent` decides for its own trace",
            ),
            SettingRow::new(
                "tracing.service_name",
                "CUNHUB_TRACING_SERVICE_NAME",
                code(&self.service_name),
                "`service.name` of the spans",
            ),
            SettingRow::new(
                "tracing.instance_id",
                "CUNHUB_TRACING_INSTANCE_ID",
                if self.instance_id.is_empty() {
                    "empty: a new UUID at each start".to_owned()
                } else {
                    code(&self.instance_id)
                },
                "`service.instance.id` of the spans, to tell the hub's instances apart",
            ),
            SettingRow::new(
                "tracing.export_timeout",
                "CUNHUB_TRACING_EXPORT_TIMEOUT",
                duration(self.export_timeout),
                "longest wait for the collector per export; its spans are dropped after it",
            ),
            SettingRow::new(
                "tracing.queue_size",
                "CUNHUB_TRACING_QUEUE_SIZE",
                code(self.queue_size),
                "finished spans waiting for export; when it is full, new spans are dropped (a request never waits for the collector)",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_gets_the_traces_path_unless_it_has_one() {
        let mut s = TracingSettings {
            endpoint: "http://collector:4318".into(),
            ..TracingSettings::default()
        };
        assert_eq!(
            s.traces_url().map(|u| u.to_string()).as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        s.endpoint = "https://vendor.example/otlp/v1/traces".into();
        assert_eq!(
            s.traces_url().map(|u| u.path().to_owned()).as_deref(),
            Some("/otlp/v1/traces")
        );
        s.endpoint = "collector:4318".into();
        assert!(s.problem().is_some());
    }

    #[test]
    fn headers_are_name_value_pairs() {
        let mut s = TracingSettings {
            headers: Some(SecretString::from("x-api-key=abc, x-team = hub")),
            ..TracingSettings::default()
        };
        assert_eq!(
            s.header_pairs(),
            Some(vec![
                ("x-api-key".into(), "abc".into()),
                ("x-team".into(), "hub".into())
            ])
        );
        s.headers = Some(SecretString::from("no-value"));
        assert_eq!(s.problem().map(|p| p.0), Some("tracing.headers"));
        s.headers = None;
        s.sample_ratio = 1.5;
        assert_eq!(s.problem().map(|p| p.0), Some("tracing.sample_ratio"));
    }
}
