//! Each client message screened before the library sees it, where the library is looser
//! than graphql-transport-ws: it closes an unreadable message with 1002 (the protocol
//! says 4400), a `subscribe` before the acknowledgement with 1011 (4401), accepts the
//! earlier protocol's message types, and lets a second `subscribe` with the id of an
//! active one silently replace it (4409).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use async_graphql::http::ClientMessage;

use super::{close, init::Session};

/// The message types a graphql-transport-ws client may send.
const CLIENT_TYPES: [&str; 5] = ["connection_init", "ping", "pong", "subscribe", "complete"];

/// Why the hub closes a socket on a client's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: u16,
    pub reason: String,
}

#[derive(Default)]
struct Tracked {
    /// Ids of the operations running now.
    active: HashSet<String>,
    violation: Option<Violation>,
}

/// The screen of one socket, shared by its incoming and outgoing sides.
#[derive(Clone)]
pub struct Screen {
    session: Arc<OnceLock<Session>>,
    tracked: Arc<Mutex<Tracked>>,
}

impl Screen {
    pub fn new(session: Arc<OnceLock<Session>>) -> Self {
        Self {
            session,
            tracked: Arc::default(),
        }
    }

    /// The message as the library should see it, or `None` once the socket is to close
    /// for a violation (kept for [`violation`](Self::violation)).
    pub fn admit(&self, bytes: &[u8]) -> Option<ClientMessage> {
        match self.check(bytes) {
            Ok(message) => Some(message),
            Err(violation) => {
                self.tracked().violation = Some(violation);
                None
            }
        }
    }

    fn check(&self, bytes: &[u8]) -> Result<ClientMessage, Violation> {
        let invalid = |why: &str| Violation {
            code: close::INVALID_MESSAGE,
            reason: format!("Invalid message received: {why}"),
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| invalid("not JSON"))?;
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if !CLIENT_TYPES.contains(&kind) {
            return Err(invalid("unknown type"));
        }
        let message: ClientMessage =
            serde::Deserialize::deserialize(value).map_err(|e| invalid(&e.to_string()))?;
        match &message {
            ClientMessage::Start { id, .. } => {
                if self.session.get().is_none() {
                    return Err(Violation {
                        code: close::UNAUTHORIZED,
                        reason: "Unauthorized".into(),
                    });
                }
                if !self.tracked().active.insert(id.clone()) {
                    return Err(Violation {
                        code: close::DUPLICATE_SUBSCRIPTION,
                        reason: format!("Subscriber for {id} already exists"),
                    });
                }
            }
            ClientMessage::Stop { id } => {
                self.tracked().active.remove(id);
            }
            _ => {}
        }
        Ok(message)
    }

    /// A server message on its way out: a completed operation frees its id.
    pub fn sent(&self, text: &str) {
        // The library writes the type first; `complete` and `error` end an operation.
        if !text.starts_with(r#"{"type":"complete""#) && !text.starts_with(r#"{"type":"error""#) {
            return;
        }
        let id = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned));
        if let Some(id) = id {
            self.tracked().active.remove(&id);
        }
    }

    /// The violation the socket is to close for, if any.
    pub fn violation(&self) -> Option<Violation> {
        self.tracked().violation.clone()
    }

    fn tracked(&self) -> std::sync::MutexGuard<'_, Tracked> {
        // A poisoned lock only means a panic elsewhere; the ids are still right.
        self.tracked.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_protocols_messages_pass() {
        let screen = Screen::new(Arc::default());
        assert!(screen.admit(br#"{"type":"ping"}"#).is_some());
        for bad in [
            &b"not json"[..],
            br#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#,
            br#"{"type":"subscribe"}"#,
            br#"{"id":"1"}"#,
        ] {
            let screen = Screen::new(Arc::default());
            assert!(screen.admit(bad).is_none());
            assert_eq!(
                screen.violation().map(|v| v.code),
                Some(close::INVALID_MESSAGE)
            );
        }
    }

    #[test]
    fn subscribe_needs_the_acknowledgement() {
        let screen = Screen::new(Arc::default());
        assert!(
            screen
                .admit(br#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#)
                .is_none()
        );
        assert_eq!(
            screen.violation().map(|v| v.code),
            Some(close::UNAUTHORIZED)
        );
    }
}
