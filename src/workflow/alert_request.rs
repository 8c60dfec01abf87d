//! Turning an alert into a service request for its resident, linked back to it. The
//! alert's follow-up (screening's) and the request are written in one transaction: both
//! or neither.

use super::{
    Done, OpenRequest, RequestChange, Workflow, WorkflowError, actor,
    record_visit::VisitRequest,
    requests::{self, Request},
};
use crate::{
    auth::Principal,
    screening::{
        alert_actions::{FollowUpError, FollowUps, FollowedUp, Step},
        follow_up,
    },
    store::idempotency::{self, Attempt},
};

/// An alert turned into a service request: its follow-up, and the request.
#[derive(Debug, Clone)]
pub struct OpenedFromAlert {
    pub followed: FollowedUp,
    pub request: Option<Request>,
}

impl From<FollowUpError> for WorkflowError {
    fn from(err: FollowUpError) -> Self {
        match err {
            FollowUpError::NotFound => Self::NotFound("alert"),
            FollowUpError::Forbidden(reason) => Self::Forbidden(reason),
            FollowUpError::BadInput(field, reason) => Self::BadInput(field, reason),
            FollowUpError::Stale => Self::Stale("alert's follow-up"),
            FollowUpError::Key(err) => Self::Key(err),
            FollowUpError::Store(err) => Self::Store(err),
        }
    }
}

impl Workflow {
    /// The alert follow-up desk, now.
    pub fn follow_ups(&self) -> FollowUps<'_> {
        FollowUps {
            db: &self.db,
            policy: &self.policy,
            now: self.clock.now(),
        }
    }

    /// Opens a service request for the alert's resident, linked back to the alert.
    pub async fn open_request_from_alert(
        &self,
        principal: &Principal,
        alert_id: &str,
        request: VisitRequest,
        idempotency_key: &str,
    ) -> Result<Done<OpenedFromAlert>, WorkflowError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "openServiceRequestFromAlert",
            &format!("{alert_id}|OpenRequest({request:?})"),
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |id| async move { self.opened_from_alert(&id).await },
            self.open_from_alert_once(principal, alert_id, request, &attempt),
        )
        .await
    }

    async fn open_from_alert_once(
        &self,
        principal: &Principal,
        alert_id: &str,
        request: VisitRequest,
        attempt: &Attempt,
    ) -> Result<OpenedFromAlert, WorkflowError> {
        let step = Step::OpenRequest;
        let followable = self
            .follow_ups()
            .followable(principal, alert_id, &step)
            .await?;
        let alert = &followable.alert;
        let checked = self
            .check_open(
                principal,
                OpenRequest {
                    resident_id: alert.resident_id.clone(),
                    catalogue_code: request.catalogue_code.trim().to_owned(),
                    mode: request.mode,
                    description: request.description,
                    authorisation: request.authorisation,
                    alert_id: Some(alert.id.clone()),
                    visit_id: None,
                },
            )
            .await?;
        let now = self.clock.now();
        let next = followable.next(&step, principal, Some(checked.new.id.clone()), now);
        let note = format!("opened from alert {}", alert.id);
        let txn = crate::store::begin_writing(&self.db).await?;
        if !follow_up::write(&txn, &next, followable.previous.as_ref()).await? {
            return Err(FollowUpError::Stale.into());
        }
        let (request, event) = requests::open(
            &txn,
            &checked.new,
            &actor(principal),
            &note,
            now,
            checked.due,
        )
        .await?;
        attempt.record(&txn, &alert.id, now).await?;
        txn.commit().await?;
        self.events.publish(RequestChange {
            request: request.clone(),
            event,
        });
        Ok(OpenedFromAlert {
            followed: FollowedUp {
                follow_up: next,
                alert: Some(followable.alert),
            },
            request: Some(request),
        })
    }

    /// An alert's follow-up as it stands, with the request it was turned into.
    async fn opened_from_alert(&self, alert_id: &str) -> Result<OpenedFromAlert, WorkflowError> {
        let followed = self.follow_ups().replay(alert_id).await?;
        let request = match &followed.follow_up.request_id {
            Some(id) => requests::find(&self.db, id).await?,
            None => None,
        };
        Ok(OpenedFromAlert { followed, request })
    }
}
