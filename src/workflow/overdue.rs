//! The background job that finds steps past their deadline and escalates them: each
//! becomes an ESCALATED event on the request's timeline (by the hub itself), the request
//! is marked overdue, and subscribers hear of it like any other change.

use std::time::Duration;

use super::{
    RequestChange, Workflow,
    lifecycle::Level,
    requests::{self, Actor, Change, ChangeError, EventKind},
};
use crate::store::{StoreError, coordination::Leadership};

/// The actor named on escalation events.
pub const SYSTEM_SUBJECT: &str = "cunhub";

/// How many requests one sweep escalates at most (the next sweep takes the rest).
const BATCH: u64 = 500;

impl Workflow {
    /// Escalates every step past its deadline; returns how many.
    pub async fn escalate_overdue(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due = requests::overdue(&self.db, now, BATCH).await?;
        let actor = Actor {
            subject: SYSTEM_SUBJECT.into(),
            role: "system".into(),
        };
        let mut escalated = 0;
        for request in due {
            let level = request.status.next_actor().unwrap_or(Level::Township);
            let since = request
                .step_due
                .map(|d| {
                    d.with_timezone(&super::clock::CHINA)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            let change = Change {
                kind: EventKind::Escalated,
                to: request.status,
                department: None,
                note: format!(
                    "the {} step was due by {since} (China time); escalated to {}",
                    level.as_str(),
                    level.escalates_to()
                ),
                due: None,
                escalation: true,
            };
            let txn = crate::store::begin_writing(&self.db).await?;
            match requests::apply(&txn, &request.id, request.version, &change, &actor, now).await {
                Ok((request, event)) => {
                    txn.commit().await?;
                    escalated += 1;
                    self.events.publish(RequestChange { request, event });
                }
                // Someone acted on it meanwhile: its new step has a new deadline.
                Err(ChangeError::Conflict { .. }) => {}
                Err(ChangeError::Store(err)) => return Err(err),
            }
        }
        Ok(escalated)
    }

    /// Runs the sweep every `interval` for as long as the process lives, on the instance
    /// that leads the scheduled jobs.
    pub async fn escalate_every(self, interval: Duration, leadership: Leadership) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if !leadership.take_turn("overdue_sweep") {
                continue;
            }
            match self.escalate_overdue().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "overdue service-request steps escalated"),
                Err(err) => {
                    tracing::warn!(error = %err, "overdue sweep failed; retrying at the next tick")
                }
            }
        }
    }
}
