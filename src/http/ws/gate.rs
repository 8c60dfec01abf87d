//! The last step before a response of a socket operation is sent: what the operation read
//! outside its executions (a subscription's door, before any event) is recorded, and an
//! operation whose access could not be recorded ends there. A subscriber is told
//! `AUDIT_UNAVAILABLE` in place of the event (never the event itself), in the protocol's
//! `error` message (see [`super::outcome`]): it knows that it may have missed changes and
//! subscribes again.

use std::sync::Arc;

use async_graphql::Response;
use futures_util::{StreamExt, stream::BoxStream};

use crate::{
    audit::AuditLog,
    graphql::audit_flush::{audit_unavailable, is_audit_unavailable},
    policy::{AccessLog, Caller},
};

struct Gate {
    responses: BoxStream<'static, Response>,
    access: Arc<AccessLog>,
    caller: Caller,
    audit: AuditLog,
}

/// `responses`, each sent only once what was read is recorded.
pub fn audited(
    responses: BoxStream<'static, Response>,
    access: Arc<AccessLog>,
    caller: Caller,
    audit: AuditLog,
) -> BoxStream<'static, Response> {
    let gate = Gate {
        responses,
        access,
        caller,
        audit,
    };
    futures_util::stream::unfold(Some(gate), |gate| async move {
        let mut gate = gate?;
        let response = gate.responses.next().await?;
        let events = gate.access.drain(&gate.caller.actor());
        if !events.is_empty() && gate.audit.record(events).await.is_err() {
            return Some((audit_unavailable(), None));
        }
        if is_audit_unavailable(&response) {
            return Some((response, None));
        }
        Some((response, Some(gate)))
    })
    .boxed()
}
