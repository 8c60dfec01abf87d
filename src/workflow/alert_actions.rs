//! Following up an alert: acknowledging it, dismissing it as a false positive (it stays
//! hidden while its facts stay the same), or turning it into a service request linked
//! back to it. Only a role the policy lets act, on an alert it may see, in its region.

use sea_orm::TransactionTrait;

use super::{
    Done, OpenRequest, RequestChange, Workflow, WorkflowError, actor,
    follow_up::{self, FollowUp, FollowUpState},
    record_visit::VisitRequest,
    requests::{self, Request},
};
use crate::{
    auth::Principal,
    policy::WorkAction,
    screening::{
        AlertScope,
        findings::{self, StoredAlert},
    },
    store::{
        StoreError,
        idempotency::{self, Attempt},
    },
};

/// An alert's follow-up after a mutation, with the alert (if a later run still finds it)
/// and the request opened from it.
#[derive(Debug, Clone)]
pub struct FollowedUp {
    pub follow_up: FollowUp,
    pub alert: Option<StoredAlert>,
    pub request: Option<Request>,
}

/// What to do about an alert.
#[derive(Debug, Clone)]
enum Step {
    Acknowledge { note: String },
    Dismiss { reason: String },
    OpenRequest(VisitRequest),
}

impl Step {
    fn operation(&self) -> &'static str {
        match self {
            Self::Acknowledge { .. } => "acknowledgeAlert",
            Self::Dismiss { .. } => "dismissAlert",
            Self::OpenRequest(_) => "openServiceRequestFromAlert",
        }
    }

    fn action(&self) -> WorkAction {
        match self {
            Self::Acknowledge { .. } => WorkAction::AcknowledgeAlert,
            Self::Dismiss { .. } => WorkAction::DismissAlert,
            Self::OpenRequest(_) => WorkAction::OpenRequest,
        }
    }

    fn state(&self) -> FollowUpState {
        match self {
            Self::Acknowledge { .. } => FollowUpState::Acknowledged,
            Self::Dismiss { .. } => FollowUpState::Dismissed,
            Self::OpenRequest(_) => FollowUpState::RequestOpened,
        }
    }
}

impl Workflow {
    /// Acknowledges an alert (已知悉): someone is on it.
    pub async fn acknowledge_alert(
        &self,
        principal: &Principal,
        alert_id: &str,
        note: &str,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, WorkflowError> {
        let step = Step::Acknowledge {
            note: note.trim().to_owned(),
        };
        self.follow_up(principal, alert_id, step, idempotency_key)
            .await
    }

    /// Dismisses an alert as a false positive (误报), with the reason.
    pub async fn dismiss_alert(
        &self,
        principal: &Principal,
        alert_id: &str,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, WorkflowError> {
        let step = Step::Dismiss {
            reason: reason.trim().to_owned(),
        };
        self.follow_up(principal, alert_id, step, idempotency_key)
            .await
    }

    /// Opens a service request for the alert's resident, linked back to the alert.
    pub async fn open_request_from_alert(
        &self,
        principal: &Principal,
        alert_id: &str,
        request: VisitRequest,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, WorkflowError> {
        self.follow_up(
            principal,
            alert_id,
            Step::OpenRequest(request),
            idempotency_key,
        )
        .await
    }

    async fn follow_up(
        &self,
        principal: &Principal,
        alert_id: &str,
        step: Step,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, WorkflowError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            step.operation(),
            &format!("{alert_id}|{step:?}"),
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |id| async move { self.follow_up_replay(&id).await },
            self.follow_up_once(principal, alert_id, step, &attempt),
        )
        .await
    }

    async fn follow_up_once(
        &self,
        principal: &Principal,
        alert_id: &str,
        step: Step,
        attempt: &Attempt,
    ) -> Result<FollowedUp, WorkflowError> {
        if !self.policy.may(principal.role, step.action()) {
            return Err(WorkflowError::Forbidden(format!(
                "the role `{}` cannot {}",
                principal.role,
                step.action().as_str().replace('_', " ")
            )));
        }
        let scope = AlertScope::of(&self.policy, principal);
        let alert = findings::find(&self.db, alert_id)
            .await?
            .filter(|a| a.village_code.starts_with(principal.region.as_str()))
            .filter(|a| scope.admits_parts(a.kind, &a.departments()))
            .ok_or(WorkflowError::NotFound("alert"))?;
        let previous = follow_up::find(&self.db, &alert.id).await?;
        check_step(&step, previous.as_ref(), &alert)?;
        let checked = match &step {
            Step::OpenRequest(request) => Some(
                self.check_open(
                    principal,
                    OpenRequest {
                        resident_id: alert.resident_id.clone(),
                        catalogue_code: request.catalogue_code.trim().to_owned(),
                        mode: request.mode,
                        description: request.description.clone(),
                        authorisation: request.authorisation.clone(),
                        alert_id: Some(alert.id.clone()),
                        visit_id: None,
                    },
                )
                .await?,
            ),
            _ => None,
        };
        let now = self.clock.now();
        let next = FollowUp {
            alert_id: alert.id.clone(),
            resident_id: alert.resident_id.clone(),
            village_code: alert.village_code.clone(),
            kind: alert.kind.code().to_owned(),
            state: step.state(),
            facts: alert.facts_json.clone(),
            reason: match &step {
                Step::Acknowledge { note } if note.is_empty() => None,
                Step::Acknowledge { note } => Some(note.clone()),
                Step::Dismiss { reason } => Some(reason.clone()),
                Step::OpenRequest(_) => None,
            },
            request_id: checked.as_ref().map(|c| c.new.id.clone()),
            actor_subject: principal.subject.clone(),
            at: now,
        };
        let actor = actor(principal);
        let note = format!("opened from alert {}", alert.id);
        let txn = self.db.begin().await?;
        let written = async {
            if !follow_up::write(&txn, &next, previous.as_ref()).await? {
                return Ok(None);
            }
            let opened = match &checked {
                Some(c) => Some(requests::open(&txn, &c.new, &actor, &note, now, c.due).await?),
                None => None,
            };
            attempt.record(&txn, &alert.id, now).await?;
            Ok::<_, StoreError>(Some(opened))
        }
        .await;
        let Some(opened) = written? else {
            return Err(WorkflowError::Stale("alert's follow-up"));
        };
        txn.commit().await?;
        let request = opened.map(|(request, event)| {
            self.events.publish(RequestChange {
                request: request.clone(),
                event,
            });
            request
        });
        Ok(FollowedUp {
            follow_up: next,
            alert: Some(alert),
            request,
        })
    }

    async fn follow_up_replay(&self, alert_id: &str) -> Result<FollowedUp, WorkflowError> {
        let follow_up = follow_up::find(&self.db, alert_id)
            .await?
            .ok_or(WorkflowError::NotFound("alert"))?;
        let request = match &follow_up.request_id {
            Some(id) => requests::find(&self.db, id).await?,
            None => None,
        };
        Ok(FollowedUp {
            alert: findings::find(&self.db, alert_id).await?,
            follow_up,
            request,
        })
    }
}

/// Whether `step` may follow where the alert stands.
fn check_step(
    step: &Step,
    previous: Option<&FollowUp>,
    alert: &StoredAlert,
) -> Result<(), WorkflowError> {
    if let Step::Dismiss { reason } = step
        && (reason.is_empty() || reason.chars().count() > 2000)
    {
        return Err(WorkflowError::BadInput(
            "a dismissal says in 1 to 2000 characters why the alert is a false positive".into(),
        ));
    }
    if let Step::Acknowledge { note } = step
        && note.chars().count() > 2000
    {
        return Err(WorkflowError::BadInput(
            "a note is at most 2000 characters".into(),
        ));
    }
    let Some(previous) = previous else {
        return Ok(());
    };
    let refusal = match (previous.state_for(&alert.facts_json), step) {
        (FollowUpState::Open, _) => return Ok(()),
        (FollowUpState::Acknowledged, Step::Dismiss { .. } | Step::OpenRequest(_)) => {
            return Ok(());
        }
        (FollowUpState::Acknowledged, Step::Acknowledge { .. }) => format!(
            "the alert was already acknowledged by {} at {}",
            previous.actor_subject, previous.at
        ),
        (FollowUpState::Dismissed, _) => format!(
            "the alert was dismissed as a false positive by {} at {} and its facts have not changed since",
            previous.actor_subject, previous.at
        ),
        (FollowUpState::RequestOpened, _) => format!(
            "the alert was already turned into service request {}",
            previous.request_id.as_deref().unwrap_or("?")
        ),
    };
    Err(WorkflowError::BadInput(refusal))
}
