//! Following up an alert: acknowledging it, or dismissing it as a false positive (it
//! stays hidden while its facts stay the same). Only a role the policy lets act, on an
//! alert it may see, in its region. Turning an alert into a service request needs the
//! request's checks too: village services build it on [`FollowUps::followable`].

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{
    AlertScope,
    findings::{self, StoredAlert},
    follow_up::{self, FollowUp, FollowUpState},
};
use crate::{
    auth::Principal,
    policy::{Policy, WorkAction},
    store::{
        StoreError,
        idempotency::{self, Attempt, Done, KeyError},
    },
};

/// Why a follow-up was refused.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// Absent, or outside the caller's scope (the two look alike).
    #[error("no such alert (or not within your scope)")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    /// A value of the input that cannot be taken: the input field (as the API names it)
    /// and why.
    #[error("{1}")]
    BadInput(&'static str, String),
    /// The follow-up changed between reading and writing it (another caller acted first).
    #[error("the alert's follow-up changed meanwhile: reload it and decide again")]
    Stale,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for FollowUpError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// An alert's follow-up after a mutation, with the alert (if a later run still finds it).
#[derive(Debug, Clone)]
pub struct FollowedUp {
    pub follow_up: FollowUp,
    pub alert: Option<StoredAlert>,
}

/// What to do about an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Acknowledge {
        note: String,
    },
    Dismiss {
        reason: String,
    },
    /// Turn it into a service request (the request itself belongs to village services).
    OpenRequest,
}

impl Step {
    pub fn action(&self) -> WorkAction {
        match self {
            Self::Acknowledge { .. } => WorkAction::AcknowledgeAlert,
            Self::Dismiss { .. } => WorkAction::DismissAlert,
            Self::OpenRequest => WorkAction::OpenRequest,
        }
    }

    fn state(&self) -> FollowUpState {
        match self {
            Self::Acknowledge { .. } => FollowUpState::Acknowledged,
            Self::Dismiss { .. } => FollowUpState::Dismissed,
            Self::OpenRequest => FollowUpState::RequestOpened,
        }
    }
}

/// An alert that passed the checks of a step, with where it stood.
#[derive(Debug, Clone)]
pub struct Followable {
    pub alert: StoredAlert,
    pub previous: Option<FollowUp>,
}

impl Followable {
    /// The follow-up `step` leaves, by `principal` at `now`.
    pub fn next(
        &self,
        step: &Step,
        principal: &Principal,
        request_id: Option<String>,
        now: DateTime<Utc>,
    ) -> FollowUp {
        FollowUp {
            alert_id: self.alert.id.clone(),
            resident_id: self.alert.resident_id.clone(),
            village_code: self.alert.village_code.clone(),
            kind: self.alert.kind.code().to_owned(),
            state: step.state(),
            facts: self.alert.facts_json.clone(),
            reason: match step {
                Step::Acknowledge { note } if note.is_empty() => None,
                Step::Acknowledge { note } => Some(note.clone()),
                Step::Dismiss { reason } => Some(reason.clone()),
                Step::OpenRequest => None,
            },
            request_id,
            actor_subject: principal.subject.clone(),
            at: now,
            found_at: Some(self.alert.first_found_at),
        }
    }
}

/// The alert follow-up desk: the hub's database and access matrix, at one moment.
pub struct FollowUps<'a> {
    pub db: &'a DatabaseConnection,
    pub policy: &'a Policy,
    pub now: DateTime<Utc>,
}

impl FollowUps<'_> {
    /// Acknowledges an alert (已知悉): someone is on it.
    pub async fn acknowledge(
        &self,
        principal: &Principal,
        alert_id: &str,
        note: &str,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, FollowUpError> {
        let step = Step::Acknowledge {
            note: note.trim().to_owned(),
        };
        self.take(
            principal,
            alert_id,
            step,
            "acknowledgeAlert",
            idempotency_key,
        )
        .await
    }

    /// Dismisses an alert as a false positive (误报), with the reason.
    pub async fn dismiss(
        &self,
        principal: &Principal,
        alert_id: &str,
        reason: &str,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, FollowUpError> {
        let step = Step::Dismiss {
            reason: reason.trim().to_owned(),
        };
        self.take(principal, alert_id, step, "dismissAlert", idempotency_key)
            .await
    }

    async fn take(
        &self,
        principal: &Principal,
        alert_id: &str,
        step: Step,
        operation: &'static str,
        idempotency_key: &str,
    ) -> Result<Done<FollowedUp>, FollowUpError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            operation,
            &format!("{alert_id}|{step:?}"),
        )?;
        idempotency::once(
            self.db,
            &attempt,
            |id| async move { self.replay(&id).await },
            self.take_once(principal, alert_id, step, &attempt),
        )
        .await
    }

    async fn take_once(
        &self,
        principal: &Principal,
        alert_id: &str,
        step: Step,
        attempt: &Attempt,
    ) -> Result<FollowedUp, FollowUpError> {
        let followable = self.followable(principal, alert_id, &step).await?;
        let next = followable.next(&step, principal, None, self.now);
        let txn = crate::store::begin_writing(self.db).await?;
        if !follow_up::write(&txn, &next, followable.previous.as_ref()).await? {
            return Err(FollowUpError::Stale);
        }
        attempt.record(&txn, &next.alert_id, self.now).await?;
        txn.commit().await?;
        Ok(FollowedUp {
            follow_up: next,
            alert: Some(followable.alert),
        })
    }

    /// The alert `alert_id` if `principal` may take `step` on it where it stands: a role
    /// the policy lets act, an alert within their region and scope, a step that may
    /// follow the last one.
    pub async fn followable(
        &self,
        principal: &Principal,
        alert_id: &str,
        step: &Step,
    ) -> Result<Followable, FollowUpError> {
        if !self.policy.may(principal.role, step.action()) {
            return Err(FollowUpError::Forbidden(format!(
                "the role `{}` cannot {}",
                principal.role,
                step.action().as_str().replace('_', " ")
            )));
        }
        let scope = AlertScope::of(self.policy, principal);
        let alert = findings::find(self.db, alert_id)
            .await?
            .filter(|a| a.village_code.starts_with(principal.region.as_str()))
            .filter(|a| scope.admits_parts(a.kind, &a.departments()))
            .ok_or(FollowUpError::NotFound)?;
        let previous = follow_up::find(self.db, &alert.id).await?;
        check_step(step, previous.as_ref(), &alert)?;
        Ok(Followable { alert, previous })
    }

    /// An alert's follow-up as it stands, with the alert if a run still finds it.
    pub async fn replay(&self, alert_id: &str) -> Result<FollowedUp, FollowUpError> {
        let follow_up = follow_up::find(self.db, alert_id)
            .await?
            .ok_or(FollowUpError::NotFound)?;
        Ok(FollowedUp {
            alert: findings::find(self.db, alert_id).await?,
            follow_up,
        })
    }
}

/// Whether `step` may follow where the alert stands.
fn check_step(
    step: &Step,
    previous: Option<&FollowUp>,
    alert: &StoredAlert,
) -> Result<(), FollowUpError> {
    if let Step::Dismiss { reason } = step
        && (reason.is_empty() || reason.chars().count() > 2000)
    {
        return Err(FollowUpError::BadInput(
            "reason",
            "a dismissal says in 1 to 2000 characters why the alert is a false positive".into(),
        ));
    }
    if let Step::Acknowledge { note } = step
        && note.chars().count() > 2000
    {
        return Err(FollowUpError::BadInput(
            "note",
            "a note is at most 2000 characters".into(),
        ));
    }
    let Some(previous) = previous else {
        return Ok(());
    };
    let refusal = match (previous.state_for(&alert.facts_json), step) {
        (FollowUpState::Open, _) => return Ok(()),
        (FollowUpState::Acknowledged, Step::Dismiss { .. } | Step::OpenRequest) => {
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
    Err(FollowUpError::BadInput("alertId", refusal))
}
