//! Moving a service request along: an action by the level whose turn it is, with a role
//! the policy lets take it, on the version the caller saw.

use super::{
    RequestChange, Workflow, WorkflowError, actor, catalogue,
    lifecycle::{self, Action, Level},
    requests::{self, Change, ChangeError, EventKind, Request},
};
use crate::{
    auth::{Principal, Role},
    domain::Department,
    policy::WorkAction,
    store::idempotency::{self, Attempt, Done},
};

/// What a caller asks to do to a request.
#[derive(Debug, Clone)]
pub struct TakeAction {
    pub request_id: String,
    pub expected_version: i32,
    pub action: Action,
    pub note: String,
    pub department: Option<Department>,
}

impl Workflow {
    /// Takes an action on a request, if it is the caller's turn, role and region.
    pub async fn act(
        &self,
        principal: &Principal,
        input: TakeAction,
        idempotency_key: &str,
    ) -> Result<Done<Request>, WorkflowError> {
        let fingerprint = format!(
            "{}|{}|{}|{}|{:?}",
            input.request_id,
            input.expected_version,
            input.action.code(),
            input.note,
            input.department
        );
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "actOnServiceRequest",
            &fingerprint,
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |id| async move { self.request_replay(&id).await },
            self.act_once(principal, input, &attempt),
        )
        .await
    }

    async fn act_once(
        &self,
        principal: &Principal,
        input: TakeAction,
        attempt: &Attempt,
    ) -> Result<Request, WorkflowError> {
        let request = requests::find(&self.db, &input.request_id)
            .await?
            .filter(|r| self.sees(principal, r, None))
            .ok_or(WorkflowError::NotFound("service request"))?;
        // The caller decided on the version they saw: once it has moved on, whose turn it
        // is and which actions are legal may have changed too, and only a reload helps.
        if request.version != input.expected_version {
            return Err(WorkflowError::Conflict {
                expected: input.expected_version,
                current: request.version,
                status: request.status,
            });
        }
        self.check_turn(principal, &request, input.action)?;
        let to = lifecycle::apply(request.status, input.action)?;
        let note = input.note.trim().to_owned();
        if input.action.needs_reason() && note.is_empty() {
            return Err(WorkflowError::BadInput(
                "note",
                format!("{} needs a note saying why", input.action.code()),
            ));
        }
        if note.chars().count() > 2000 {
            return Err(WorkflowError::BadInput(
                "note",
                "a note is at most 2000 characters".into(),
            ));
        }
        let department = match (input.action, input.department) {
            (Action::Route, Some(d)) => Some(d),
            (Action::Route, None) => {
                return Err(WorkflowError::BadInput(
                    "department",
                    "ROUTE names the county department to route to".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(WorkflowError::BadInput(
                    "department",
                    "only ROUTE names a department".into(),
                ));
            }
            (_, None) => None,
        };
        let item_limit = catalogue::find(&self.db, &request.catalogue_code)
            .await?
            .map(|i| i.time_limit_days)
            .unwrap_or(1);
        let change = Change {
            kind: EventKind::Transition(input.action),
            to,
            department,
            note,
            due: self.due(to, item_limit).await?,
            escalation: false,
        };
        let now = self.clock.now();
        let actor = actor(principal);
        let txn = crate::store::begin_writing(&self.db).await?;
        let written = async {
            let applied = requests::apply(
                &txn,
                &request.id,
                input.expected_version,
                &change,
                &actor,
                now,
            )
            .await?;
            attempt.record(&txn, &request.id, now).await?;
            Ok::<_, ChangeError>(applied)
        }
        .await;
        let (request, event) = written?;
        txn.commit().await?;
        self.events.publish(RequestChange {
            request: request.clone(),
            event,
        });
        Ok(request)
    }

    /// Only the level whose turn it is acts, with a role the policy lets take the action,
    /// within its region, and a department only on what was routed to it.
    fn check_turn(
        &self,
        principal: &Principal,
        request: &Request,
        action: Action,
    ) -> Result<(), WorkflowError> {
        let work_action = work_action(action);
        if !self.policy.may(principal.role, work_action) {
            return Err(WorkflowError::Forbidden(format!(
                "the role `{}` cannot {}",
                principal.role,
                work_action.as_str().replace('_', " ")
            )));
        }
        let acting = match principal.role {
            Role::VillageAssistant => Some(Level::Village),
            Role::TownshipOfficer => Some(Level::Township),
            Role::DepartmentClerk => Some(Level::Department),
            _ => None,
        };
        let turn = request.status.next_actor();
        if turn.is_some() && acting != turn {
            return Err(WorkflowError::Forbidden(format!(
                "a request that is {} waits for the {}, not for a {}",
                request.status,
                turn.map(Level::as_str).unwrap_or("nobody"),
                principal.role
            )));
        }
        if !request.village_code.starts_with(principal.region.as_str()) {
            return Err(WorkflowError::NotFound("service request"));
        }
        if acting == Some(Level::Department) && principal.department != request.department {
            return Err(WorkflowError::Forbidden(
                "the request was routed to another department".into(),
            ));
        }
        Ok(())
    }
}

/// The policy's name of a request action.
pub fn work_action(action: Action) -> WorkAction {
    match action {
        Action::Accept => WorkAction::Accept,
        Action::ResolveByTownship => WorkAction::ResolveByTownship,
        Action::Route => WorkAction::Route,
        Action::Respond => WorkAction::Respond,
        Action::ReturnToTownship => WorkAction::ReturnToTownship,
        Action::Return => WorkAction::Return,
        Action::Resubmit => WorkAction::Resubmit,
        Action::Reject => WorkAction::Reject,
        Action::ConfirmResolved => WorkAction::ConfirmResolved,
        Action::AnswerFollowUp => WorkAction::AnswerFollowUp,
    }
}
