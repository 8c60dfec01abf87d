//! What a `connection_init` establishes: the caller of every operation of the socket, and
//! until when its token is accepted.

use chrono::{DateTime, Utc};

use crate::{
    error::AppError,
    http::AppState,
    messages::Language,
    policy::{self, Caller},
};

/// The caller of a socket and the moment its token stops being accepted.
#[derive(Clone)]
pub struct Session {
    pub caller: Caller,
    /// `None` for an anonymous socket (public data only), which has no token to expire.
    pub accepted_until: Option<DateTime<Utc>>,
    /// The language of its error messages.
    pub language: Language,
}

/// The session a `connection_init` payload establishes:
/// `{ "token": "…", "purpose": "VISIT", "caseRef": "…", "language": "zh-CN" }` (the
/// language as an `Accept-Language` value, else the upgrade request's), the token also accepted as
/// clients' `connectionParams` usually carry it, `"Authorization": "Bearer …"` (the key in
/// any case). A bad token or case reference refuses the socket.
pub async fn session_from(
    state: &AppState,
    payload: &serde_json::Value,
    request_id: String,
    language: Language,
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
    let verified = match bearer_token(payload, text("token")?).map_err(refused)? {
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
        )
        .over_socket(),
        accepted_until,
        language: match text("language")? {
            Some(asked) => Language::from_accept_language(Some(&asked)),
            None => language,
        },
    })
}

/// The token of a `connection_init` payload: `token`, or an `Authorization` field (any
/// case) holding `Bearer TOKEN`. Both given must agree; anything else is refused, never
/// read as no token.
fn bearer_token(
    payload: &serde_json::Value,
    token: Option<String>,
) -> Result<Option<String>, String> {
    let mut authorizations = payload
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.eq_ignore_ascii_case("authorization"));
    let from_header = match (authorizations.next(), authorizations.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => return Err("`Authorization` is given twice".into()),
        (Some((_, serde_json::Value::String(value))), None) => {
            let value = value.trim();
            match value.split_once(' ') {
                Some((scheme, credentials))
                    if scheme.eq_ignore_ascii_case("bearer") && !credentials.trim().is_empty() =>
                {
                    Some(credentials.trim().to_owned())
                }
                _ => return Err("`Authorization` must be `Bearer TOKEN`".into()),
            }
        }
        (Some(_), None) => return Err("`Authorization` must be a string".into()),
    };
    match (token, from_header) {
        (Some(token), Some(other)) if token != other => {
            Err("`token` and `Authorization` name different tokens".into())
        }
        (Some(token), _) => Ok(Some(token)),
        (None, from_header) => Ok(from_header),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::bearer_token;

    #[test]
    fn the_token_comes_from_token_or_a_bearer_authorization_in_any_case() {
        let read = |payload: serde_json::Value| {
            let token = payload["token"].as_str().map(str::to_owned);
            bearer_token(&payload, token)
        };
        assert_eq!(read(json!({})), Ok(None));
        assert_eq!(read(json!({ "token": "t" })), Ok(Some("t".into())));
        assert_eq!(
            read(json!({ "Authorization": "Bearer t" })),
            Ok(Some("t".into()))
        );
        assert_eq!(
            read(json!({ "authorization": "bearer  t " })),
            Ok(Some("t".into()))
        );
        assert_eq!(
            read(json!({ "token": "t", "AUTHORIZATION": "Bearer t" })),
            Ok(Some("t".into()))
        );
        assert!(read(json!({ "token": "t", "Authorization": "Bearer u" })).is_err());
        assert!(read(json!({ "Authorization": "Basic dTpw" })).is_err());
        assert!(read(json!({ "Authorization": "Bearer " })).is_err());
        assert!(read(json!({ "Authorization": 7 })).is_err());
        assert!(read(json!({ "Authorization": "Bearer a", "authorization": "Bearer a" })).is_err());
    }
}
