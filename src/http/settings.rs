//! The `[server]` settings section: the HTTP listener.

use std::{net::SocketAddr, time::Duration};

use serde::{Deserialize, Serialize};

use crate::settings_row::{SettingRow, code, duration};

/// The HTTP listener.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub bind: String,
    /// The operators' listener, serving `/metrics` apart from the public one (the figures
    /// show every department's health); empty or `off` serves no metrics at all.
    pub metrics_bind: String,
    pub body_limit: usize,
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    pub workers: usize,
    /// Serve GraphiQL at `/graphiql`; off in production.
    pub graphiql: bool,
    /// Serve the dashboard page at `/dashboard`. On by default: the page holds no data
    /// and is only a client of the public API with the token its user pastes.
    pub dashboard: bool,
    /// Answer introspection (`__schema`, `__type`) for anonymous callers; authenticated
    /// callers may always introspect.
    pub introspection: bool,
    /// Suggest field and type names ("Did you mean …") in validation errors, which
    /// otherwise let an anonymous caller map the schema.
    pub suggestions: bool,
    /// The deadline of one GraphQL request's department calls, retries included.
    #[serde(with = "humantime_serde")]
    pub request_deadline: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            metrics_bind: "127.0.0.1:9090".into(),
            body_limit: 256 * 1024,
            shutdown_timeout: Duration::from_secs(30),
            workers: 0,
            graphiql: false,
            dashboard: true,
            introspection: false,
            suggestions: false,
            request_deadline: Duration::from_millis(2500),
        }
    }
}

impl ServerSettings {
    /// Where `/metrics` is served, unless switched off.
    pub fn metrics_bind(&self) -> Option<&str> {
        let bind = self.metrics_bind.trim();
        (!bind.is_empty() && !bind.eq_ignore_ascii_case("off")).then_some(bind)
    }

    /// What serde cannot check: `(key, problem)` of the first bad value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.bind.parse::<SocketAddr>().is_err() {
            return Some(("server.bind", format!("`{}` is not HOST:PORT", self.bind)));
        }
        if let Some(bind) = self.metrics_bind()
            && bind.parse::<SocketAddr>().is_err()
        {
            return Some((
                "server.metrics_bind",
                format!("`{bind}` is not HOST:PORT, empty or off"),
            ));
        }
        if self.body_limit < 1024 {
            return Some(("server.body_limit", "must be at least 1024 bytes".into()));
        }
        if self.request_deadline < Duration::from_millis(50) {
            return Some(("server.request_deadline", "at least 50ms".into()));
        }
        None
    }

    /// The rows of the settings table, with these values as the defaults.
    pub fn rows(&self) -> Vec<SettingRow> {
        vec![
            SettingRow::new(
                "server.bind",
                "CUNHUB_BIND",
                code(&self.bind),
                "address and port the hub listens on",
            ),
            SettingRow::new(
                "server.metrics_bind",
                "CUNHUB_METRICS_BIND",
                code(&self.metrics_bind),
                "the operators' listener, serving `/metrics` alone (empty or `off`: no metrics \
                 at all); keep it off the public network",
            ),
            SettingRow::new(
                "server.body_limit",
                "CUNHUB_BODY_LIMIT",
                code(self.body_limit),
                "largest request body in bytes (413 beyond)",
            ),
            SettingRow::new(
                "server.shutdown_timeout",
                "CUNHUB_SHUTDOWN_TIMEOUT",
                duration(self.shutdown_timeout),
                "time in-flight requests get after SIGTERM/SIGINT",
            ),
            SettingRow::new(
                "server.workers",
                "CUNHUB_WORKERS",
                code(self.workers),
                "HTTP worker threads (0: one per core)",
            ),
            SettingRow::new(
                "server.graphiql",
                "CUNHUB_GRAPHIQL",
                code(self.graphiql),
                "serve GraphiQL at `/graphiql` (`cunhub demo` turns it on)",
            ),
            SettingRow::new(
                "server.dashboard",
                "CUNHUB_DASHBOARD",
                code(self.dashboard),
                "serve the dashboard page at `/dashboard` (it holds no data: it reads \
                 `statistics` through `/graphql` with the token its user pastes)",
            ),
            SettingRow::new(
                "server.introspection",
                "CUNHUB_INTROSPECTION",
                code(self.introspection),
                "answer `__schema` / `__type` for anonymous callers (authenticated callers \
                 always may); `cunhub demo` turns it on",
            ),
            SettingRow::new(
                "server.suggestions",
                "CUNHUB_SUGGESTIONS",
                code(self.suggestions),
                "\"Did you mean …\" suggestions in validation errors; `cunhub demo` turns \
                 them on",
            ),
            SettingRow::new(
                "server.request_deadline",
                "CUNHUB_REQUEST_DEADLINE",
                duration(self.request_deadline),
                "deadline of one request's department calls, retries included; past it a \
                 field answers `DEPARTMENT_TIMEOUT`",
            ),
        ]
    }
}
