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
    /// After SIGTERM, how long the hub keeps serving while `/readyz` says it is draining,
    /// for the load balancer's health check to take it out before the listener closes.
    #[serde(with = "humantime_serde")]
    pub drain_delay: Duration,
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
    /// Origins (`https://host[:port]`) whose pages may call the hub from a browser; none
    /// by default.
    #[serde(deserialize_with = "list")]
    pub cors_origins: Vec<String>,
    /// Request headers those pages may send.
    #[serde(deserialize_with = "list")]
    pub cors_allow_headers: Vec<String>,
    /// Response headers those pages may read.
    #[serde(deserialize_with = "list")]
    pub cors_expose_headers: Vec<String>,
    /// How long a browser may keep a preflight's answer.
    #[serde(with = "humantime_serde")]
    pub cors_max_age: Duration,
    /// Responses of at least this many bytes are compressed (gzip or brotli, as the
    /// client accepts); smaller ones gain nothing from it.
    pub compress_min_bytes: usize,
    /// How long a shared cache may keep an anonymous GET query's answer (public data only,
    /// such as the division tree); zero: `no-cache`.
    #[serde(with = "humantime_serde")]
    pub public_max_age: Duration,
    /// The hub's address as villagers reach it (`https://host[/path]`), for the QR code
    /// of each village's poster; empty: the address the poster was asked for at.
    pub public_base_url: String,
}

/// A list from a settings file (`["a", "b"]`) or an environment variable (`a,b`).
pub(crate) fn list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Many(Vec<String>),
        One(String),
    }
    let items = match List::deserialize(deserializer)? {
        List::Many(items) => items,
        List::One(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            metrics_bind: "127.0.0.1:9090".into(),
            body_limit: 256 * 1024,
            shutdown_timeout: Duration::from_secs(30),
            drain_delay: Duration::from_secs(5),
            workers: 0,
            graphiql: false,
            dashboard: true,
            introspection: false,
            suggestions: false,
            request_deadline: Duration::from_millis(2500),
            cors_origins: Vec::new(),
            cors_allow_headers: [
                "Authorization",
                "Content-Type",
                "Accept",
                "Accept-Language",
                "X-Purpose",
                "X-Case-Ref",
                "X-Request-Id",
            ]
            .map(String::from)
            .to_vec(),
            cors_expose_headers: [
                "X-Request-Id",
                "Retry-After",
                // draft-ietf-httpapi-ratelimit-headers-10, as `http::quota` sends them.
                "RateLimit-Policy",
                "RateLimit",
                "ETag",
            ]
            .map(String::from)
            .to_vec(),
            cors_max_age: Duration::from_secs(3600),
            compress_min_bytes: 1024,
            public_max_age: Duration::from_secs(300),
            public_base_url: String::new(),
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
        if let Some(origin) = self.cors_origins.iter().find(|o| !is_origin(o)) {
            return Some((
                "server.cors_origins",
                format!("`{origin}` is not an origin such as https://host or https://host:port"),
            ));
        }
        if !self.public_base_url.is_empty() && !is_base_url(&self.public_base_url) {
            return Some((
                "server.public_base_url",
                format!(
                    "`{}` is not an address such as https://host or https://host/path",
                    self.public_base_url
                ),
            ));
        }
        for (key, names) in [
            ("server.cors_allow_headers", &self.cors_allow_headers),
            ("server.cors_expose_headers", &self.cors_expose_headers),
        ] {
            if let Some(name) = names
                .iter()
                .find(|n| actix_web::http::header::HeaderName::try_from(n.as_str()).is_err())
            {
                return Some((key, format!("`{name}` is not a header name")));
            }
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
                "time in-flight requests get once the listener closes",
            ),
            SettingRow::new(
                "server.drain_delay",
                "CUNHUB_DRAIN_DELAY",
                duration(self.drain_delay),
                "after SIGTERM/SIGINT: `/readyz` answers 503 and answers close their \
                 connections, sockets close with 1012, for this long before the listener \
                 closes (longer than the load balancer's health-check interval)",
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
            SettingRow::new(
                "server.cors_origins",
                "CUNHUB_CORS_ORIGINS",
                "none",
                "origins (`https://host[:port]`, comma-separated in the variable) whose pages \
                 may call the hub from a browser",
            ),
            SettingRow::new(
                "server.cors_allow_headers",
                "CUNHUB_CORS_ALLOW_HEADERS",
                code(self.cors_allow_headers.join(", ")),
                "request headers those pages may send",
            ),
            SettingRow::new(
                "server.cors_expose_headers",
                "CUNHUB_CORS_EXPOSE_HEADERS",
                code(self.cors_expose_headers.join(", ")),
                "response headers those pages may read",
            ),
            SettingRow::new(
                "server.cors_max_age",
                "CUNHUB_CORS_MAX_AGE",
                duration(self.cors_max_age),
                "how long a browser keeps a preflight's answer",
            ),
            SettingRow::new(
                "server.compress_min_bytes",
                "CUNHUB_COMPRESS_MIN_BYTES",
                code(self.compress_min_bytes),
                "responses of at least this size are compressed (gzip or brotli by \
                 `Accept-Encoding`); server-sent events never are",
            ),
            SettingRow::new(
                "server.public_max_age",
                "CUNHUB_PUBLIC_MAX_AGE",
                duration(self.public_max_age),
                "how long caches keep an anonymous GET query's answer (public data such as \
                 the division tree; with an `ETag`); answers to a token are `no-store`",
            ),
            SettingRow::new(
                "server.public_base_url",
                "CUNHUB_PUBLIC_BASE_URL",
                "none",
                "the hub's address as villagers reach it (`https://host[/path]`): the QR code \
                 on each village's poster points under it; empty, the address the poster was \
                 asked for at",
            ),
        ]
    }
}

/// `scheme://host[:port]` and nothing more, as a browser sends it in `Origin`.
fn is_origin(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.origin().ascii_serialization() == text
    })
}

/// `http(s)://host[:port][/path]`, with no query, fragment or credentials.
fn is_base_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_origins_are_allowed_origins() {
        assert!(is_origin("https://dashboard.example.cn"));
        assert!(is_origin("http://127.0.0.1:5173"));
        assert!(!is_origin("https://dashboard.example.cn/"));
        assert!(!is_origin("*"));
        assert!(!is_origin("dashboard.example.cn"));
        assert!(!is_origin("https://a.example/path"));
    }

    #[test]
    fn a_public_base_url_is_an_address_without_query() {
        assert!(is_base_url("https://cunhub.jl.gov.cn"));
        assert!(is_base_url("http://10.0.0.5:8080/hub/"));
        assert!(!is_base_url("cunhub.jl.gov.cn"));
        assert!(!is_base_url("https://a.cn/?x=1"));
        assert!(!is_base_url("ftp://a.cn"));
    }

    #[test]
    fn lists_come_from_an_array_or_a_comma_separated_string() {
        let from_env: ServerSettings = serde_json::from_value(
            serde_json::json!({ "cors_origins": "https://a.cn, http://b.cn:8080" }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_env.cors_origins, ["https://a.cn", "http://b.cn:8080"]);
        let from_file: ServerSettings =
            serde_json::from_value(serde_json::json!({ "cors_origins": ["https://a.cn"] }))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from_file.cors_origins, ["https://a.cn"]);
        assert!(ServerSettings::default().cors_origins.is_empty());
    }
}
