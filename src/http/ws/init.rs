//! What a `connection_init` establishes: the caller of every operation of the socket, and
//! until when its token is accepted.

use chrono::{DateTime, Utc};

use crate::{policy::Caller, startup::AppState};

/// The caller of a socket and the moment its token stops being accepted.
#[derive(Clone)]
pub struct Session {
    pub caller: Caller,
    /// `None` for an anonymous socket (public data only), which has no token to expire.
    pub accepted_until: Option<DateTime<Utc>>,
}

/// The session a `connection_init` payload establishes:
/// `{ "token": "…", "purpose": "VISIT", "caseRef": "…" }`. A bad token refuses the socket.
pub async fn session_from(
    state: &AppState,
    payload: &serde_json::Value,
    request_id: String,
) -> async_graphql::Result<Session> {
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let verified = match text("token") {
        Some(token) => Some(
            state
                .verifier
                .verify_token(&token)
                .await
                .map_err(|err| async_graphql::Error::new(format!("Forbidden: {err}")))?,
        ),
        None => None,
    };
    let accepted_until = verified.as_ref().map(|v| v.accepted_until);
    Ok(Session {
        caller: Caller::new(
            verified.map(|v| v.principal),
            text("purpose").as_deref(),
            // A case reference goes to the audit log as it is: short and printable.
            text("caseRef").filter(|r| {
                (1..=128).contains(&r.len()) && r.chars().all(|c| c.is_ascii_graphic())
            }),
            request_id,
        ),
        accepted_until,
    })
}
