//! Operations that could not run at all. The library answers a subscribe whose document
//! fails validation with a `next` message holding only errors, then `complete`; the
//! graphql-transport-ws protocol sends such errors in one `error` message, after which
//! the operation is over (no `complete`). Clients reject the operation from it rather
//! than show an empty result.

use std::collections::HashSet;

use serde_json::Value;

/// Rewrites the library's outgoing messages where the protocol asks for another.
#[derive(Default)]
pub struct Outcomes {
    /// Operations answered with `error`, whose `complete` must not follow.
    refused: HashSet<String>,
}

impl Outcomes {
    /// The message to send instead of `text`: `Some(None)` drops it, `None` keeps it.
    pub fn rewrite(&mut self, text: &str) -> Option<Option<String>> {
        // Most messages are results with data: only a few are looked at closely.
        let next = text.starts_with(r#"{"type":"next""#) && text.contains(r#""errors""#);
        let complete = !self.refused.is_empty() && text.starts_with(r#"{"type":"complete""#);
        if !next && !complete {
            return None;
        }
        let message: Value = serde_json::from_str(text).ok()?;
        let id = message.get("id")?.as_str()?.to_owned();
        if complete {
            return self.refused.remove(&id).then_some(None);
        }
        let payload = message.get("payload")?;
        let no_data = payload.get("data").is_none_or(Value::is_null);
        let errors = payload.get("errors")?.as_array()?;
        let request_errors = errors.iter().all(|e| e.get("path").is_none());
        if !(no_data && request_errors) {
            return None;
        }
        self.refused.insert(id.clone());
        // The type first, as the library writes every message (the screen reads it so).
        let id = Value::String(id).to_string();
        let errors = Value::Array(errors.clone()).to_string();
        Some(Some(format!(
            r#"{{"type":"error","id":{id},"payload":{errors}}}"#
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_cannot_run_is_an_error_message_without_complete() {
        let mut outcomes = Outcomes::default();
        let refused = r#"{"type":"next","id":"1","payload":{"data":null,"errors":[{"message":"bad","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}}"#;
        let rewritten = outcomes.rewrite(refused).flatten().unwrap_or_default();
        assert!(rewritten.starts_with(r#"{"type":"error""#), "{rewritten}");
        let message: Value = serde_json::from_str(&rewritten).unwrap_or_default();
        assert_eq!(message["type"], "error");
        assert_eq!(message["id"], "1");
        assert_eq!(message["payload"][0]["message"], "bad");
        assert_eq!(
            outcomes.rewrite(r#"{"type":"complete","id":"1"}"#),
            Some(None)
        );
        // Another operation's complete passes.
        assert_eq!(outcomes.rewrite(r#"{"type":"complete","id":"2"}"#), None);
    }

    #[test]
    fn results_and_field_errors_pass_as_they_are() {
        let mut outcomes = Outcomes::default();
        for text in [
            r#"{"type":"next","id":"1","payload":{"data":{"a":1}}}"#,
            r#"{"type":"next","id":"1","payload":{"data":{"a":null},"errors":[{"message":"x","path":["a"]}]}}"#,
            r#"{"type":"next","id":"1","payload":{"data":null,"errors":[{"message":"x","path":["a"]}]}}"#,
            r#"{"type":"complete","id":"1"}"#,
        ] {
            assert_eq!(outcomes.rewrite(text), None, "{text}");
        }
    }
}
