//! What a `connection_init` establishes: the caller of every operation of the socket, and
//! until when its token is accepted.

use chrono::{DateTime, Utc};

use crate::{
    error::AppError,
    http::AppState,
    policy::{self, Caller},
};

/// The caller of a socket and the moment its token stops being accepted.
#[derive(Clone)]
pub struct Session {
    pub caller: Caller,
    /// `None` for an anonymous socket (public data only), which has no token to expire.
    pub accepted_until: Option<DateTime<Utc>>,
}

/// The session a `connection_init` payload establishes:
/// `{ "token": "…", "purpose": "VISIT", "caseRef": "…" }`. A bad token or case reference
/// refuses the socket.
pub async fn session_from(
    state: &AppState,
    payload: &serde_json::Value,
    request_id: String,
) -> async_graphql::Result<Session> {
    let refused = |why: String| async_graphql::Error::new(format!("Forbidden: {why}"));
    if !(payload.is_object() || payload.is_null()) {
        return Err(refused(
            "the connection_init payload must be an object".into(),
        ));
    }
    // A token, purpose or case reference of another type is refused, never read as
    // absent: a socket meant to be authenticated must not run anonymously.
    let text = |key: &str| match payload.get(key) {
        None => Ok(None),
        Some(serde_json::Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(refused(format!("`{key}` must be a string"))),
    };
    let verified = match text("token")? {
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
    let case_ref =
        policy::case_ref(text("caseRef")?.as_deref().map(str::as_bytes)).map_err(|err| {
            let err = AppError::from(err);
            refused(format!("{}: {err}", err.code().as_str()))
        })?;
    Ok(Session {
        caller: Caller::new(
            verified.map(|v| v.principal),
            text("purpose")?.as_deref(),
            case_ref,
            request_id,
        ),
        accepted_until,
    })
}
