//! Per-client limits: requests per second and per day for each subject (`sub`) and each
//! client application (`azp` / `client_id`), set per role in `[client_limits]`, counted
//! for all instances through Redis (each instance alone while Redis is unreachable, as
//! without Redis). Over a limit the request is refused with 429, `Retry-After` and a
//! `RATE_LIMITED` error; every answer to a limited caller carries the remaining
//! allowance in the `RateLimit-Policy` and `RateLimit` fields.

mod settings;
mod windows;

use std::{
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
};

pub use settings::{ClientLimitsSettings, RoleLimits};

use self::windows::{COUNT, Count, LocalWindows, Window};
use super::problem::language;
use crate::{
    auth::Principal,
    coordination::Coordination,
    error::{self, ErrorCode},
    messages,
};

const SECOND: Duration = Duration::from_secs(1);
const DAY: Duration = Duration::from_secs(86_400);

/// The limits in force and where they are counted.
pub struct Quotas {
    settings: ClientLimitsSettings,
    coordination: Coordination,
    local: Mutex<LocalWindows>,
}

/// Where a limited caller stands after one request.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub admitted: bool,
    standings: Vec<(Window, Count)>,
}

impl Quotas {
    pub fn new(settings: ClientLimitsSettings, coordination: Coordination) -> Self {
        Self {
            settings,
            coordination,
            local: Mutex::new(LocalWindows::default()),
        }
    }

    /// Counts one request of `principal`; `None` for callers without limits (anonymous
    /// callers, roles without a `[client_limits]` table).
    pub async fn count(&self, principal: Option<&Principal>) -> Option<Verdict> {
        let principal = principal?;
        let limits = self.settings.of(principal.role)?;
        let windows = windows_of(principal, limits);
        if windows.is_empty() {
            return None;
        }
        let (admitted, counts) = match self.count_shared(&windows).await {
            Some(answer) => answer,
            None => {
                let now_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
                local.count(&windows, now_ms)
            }
        };
        Some(Verdict {
            admitted,
            standings: windows.into_iter().zip(counts).collect(),
        })
    }

    async fn count_shared(&self, windows: &[Window]) -> Option<(bool, Vec<Count>)> {
        let keys: Vec<String> = windows
            .iter()
            .map(|w| self.coordination.key(&w.key))
            .collect();
        let args: Vec<u64> = windows
            .iter()
            .flat_map(|w| [u64::from(w.quota), w.length.as_millis() as u64])
            .collect();
        let answer: Vec<u64> = self.coordination.run(&COUNT, &keys, &args).await?;
        let (admitted, rest) = answer.split_first()?;
        let counts: Vec<Count> = rest
            .chunks_exact(2)
            .map(|pair| Count {
                used: pair[0] as u32,
                reset: Duration::from_millis(pair[1]),
            })
            .collect();
        (counts.len() == windows.len()).then_some((*admitted == 1, counts))
    }
}

/// The windows `principal`'s request counts in under `limits`.
fn windows_of(principal: &Principal, limits: &RoleLimits) -> Vec<Window> {
    let subject = &principal.subject;
    let mut windows = Vec::with_capacity(4);
    let mut add = |policy, key: String, quota, length| {
        if quota > 0 {
            windows.push(Window {
                policy,
                key,
                quota,
                length,
            });
        }
    };
    add(
        "subject-second",
        format!("limit:subject:{subject}:second"),
        limits.subject_per_second,
        SECOND,
    );
    add(
        "subject-day",
        format!("limit:subject:{subject}:day"),
        limits.subject_per_day,
        DAY,
    );
    if let Some(client) = &principal.client {
        add(
            "client-second",
            format!("limit:client:{client}:second"),
            limits.client_per_second,
            SECOND,
        );
        add(
            "client-day",
            format!("limit:client:{client}:day"),
            limits.client_per_day,
            DAY,
        );
    }
    windows
}

/// Whole seconds, rounded up (a client waiting this long finds room).
fn secs_up(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

impl Verdict {
    /// Seconds until every exhausted window has room again (`None` when admitted).
    pub fn retry_after(&self) -> Option<u64> {
        if self.admitted {
            return None;
        }
        self.standings
            .iter()
            .filter(|(w, c)| c.used >= w.quota)
            .map(|(_, c)| secs_up(c.reset))
            .max()
    }

    /// The fields of draft-ietf-httpapi-ratelimit-headers-10 (structured fields, §5 and
    /// §6): `RateLimit-Policy: "subject-second";q=5;w=1, …` lists every policy, and
    /// `RateLimit: "subject-day";r=3;t=40` the one nearest exhaustion, with what remains
    /// and the seconds until its window resets.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let policies: Vec<String> = self
            .standings
            .iter()
            .map(|(w, _)| format!("\"{}\";q={};w={}", w.policy, w.quota, w.length.as_secs()))
            .collect();
        let mut fields = Vec::with_capacity(2);
        if let Ok(value) = HeaderValue::from_str(&policies.join(", ")) {
            fields.push((HeaderName::from_static("ratelimit-policy"), value));
        }
        let tightest = self
            .standings
            .iter()
            .min_by_key(|(w, c)| (w.quota.saturating_sub(c.used), c.reset));
        if let Some((w, c)) = tightest {
            let current = format!(
                "\"{}\";r={};t={}",
                w.policy,
                w.quota.saturating_sub(c.used),
                secs_up(c.reset)
            );
            if let Ok(value) = HeaderValue::from_str(&current) {
                fields.push((HeaderName::from_static("ratelimit"), value));
            }
        }
        fields
    }

    /// The policy that refused the request.
    pub fn refusing_policy(&self) -> Option<&'static str> {
        self.standings
            .iter()
            .find(|(w, c)| c.used >= w.quota)
            .map(|(w, _)| w.policy)
    }

    /// The typed error of a refused operation (over HTTP, a socket or a stream).
    pub fn error(&self) -> async_graphql::ServerError {
        let retry_after = self.retry_after().unwrap_or(1);
        let policy = self.refusing_policy().unwrap_or("limit");
        let mut refusal = error::request_error(
            ErrorCode::RateLimited,
            format!("too many requests ({policy}); try again in {retry_after} s"),
        );
        if let Some(extensions) = &mut refusal.extensions {
            extensions.set("retryAfter", retry_after);
            extensions.set("policy", policy);
        }
        refusal
    }

    /// The answer to a refused request: 429, `Retry-After`, the `RateLimit` fields and
    /// the typed error in the caller's language.
    pub fn refusal(&self, request: &HttpRequest) -> HttpResponse {
        let mut refusal = self.error();
        messages::localize(language(request), &mut refusal);
        let mut response = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS);
        response
            .content_type("application/json")
            .insert_header((header::RETRY_AFTER, self.retry_after().unwrap_or(1)));
        for field in self.headers() {
            response.insert_header(field);
        }
        response.body(serde_json::json!({ "errors": [refusal] }).to_string())
    }

    /// Adds the `RateLimit` fields to an answer.
    pub fn stamp(&self, response: &mut HttpResponse) {
        for (name, value) in self.headers() {
            response.headers_mut().insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(admitted: bool, used: [u32; 2]) -> Verdict {
        let window = |policy, quota, length| Window {
            policy,
            key: String::new(),
            quota,
            length,
        };
        Verdict {
            admitted,
            standings: vec![
                (
                    window("subject-second", 5, SECOND),
                    Count {
                        used: used[0],
                        reset: Duration::from_millis(300),
                    },
                ),
                (
                    window("subject-day", 100, DAY),
                    Count {
                        used: used[1],
                        reset: Duration::from_secs(3_600),
                    },
                ),
            ],
        }
    }

    #[test]
    fn the_fields_list_every_policy_and_the_tightest_allowance() {
        let headers = verdict(true, [3, 10]).headers();
        let text = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .and_then(|(_, v)| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            text("ratelimit-policy").as_deref(),
            Some("\"subject-second\";q=5;w=1, \"subject-day\";q=100;w=86400")
        );
        assert_eq!(
            text("ratelimit").as_deref(),
            Some("\"subject-second\";r=2;t=1")
        );
    }

    #[test]
    fn a_refusal_waits_for_the_window_that_is_full() {
        let v = verdict(false, [5, 10]);
        assert_eq!(v.retry_after(), Some(1));
        assert_eq!(v.refusing_policy(), Some("subject-second"));
        let v = verdict(false, [2, 100]);
        assert_eq!(v.retry_after(), Some(3_600));
        assert_eq!(verdict(true, [1, 1]).retry_after(), None);
    }
}
