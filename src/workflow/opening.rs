//! The checks of opening a service request, shared by every way one is opened: directly,
//! from a visit, or from an alert. They read but write nothing, so the caller can write
//! the request together with whatever it was opened from in one transaction.

use chrono::{DateTime, Utc};

use super::{
    OpenRequest, Workflow, WorkflowError, catalogue, catalogue::Mode, lifecycle::Status, new_id,
    requests::NewRequest,
};
use crate::{auth::Principal, policy::WorkAction, store::residents};

/// A request that passed every check, ready to be written.
#[derive(Debug, Clone)]
pub struct CheckedRequest {
    pub new: NewRequest,
    /// The deadline of its first step (the township's acceptance).
    pub due: Option<DateTime<Utc>>,
}

impl Workflow {
    /// Checks that `principal` may open `input` (role, the resident within their region,
    /// a current catalogue item covering the resident's village that offers the mode, an
    /// authorisation for proxy handling, a description) and gives it its id and deadline.
    pub(crate) async fn check_open(
        &self,
        principal: &Principal,
        input: OpenRequest,
    ) -> Result<CheckedRequest, WorkflowError> {
        if !self.policy.may(principal.role, WorkAction::OpenRequest) {
            return Err(WorkflowError::Forbidden(format!(
                "the role `{}` cannot open service requests",
                principal.role
            )));
        }
        let resident = residents::find(&self.db, &input.resident_id)
            .await?
            .filter(|r| r.village_code.starts_with(principal.region.as_str()))
            .ok_or(WorkflowError::NotFound("resident"))?;
        let item = catalogue::find(&self.db, &input.catalogue_code)
            .await?
            .filter(|i| resident.village_code.starts_with(i.region.as_str()))
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        if item.retired_at.is_some() {
            return Err(WorkflowError::BadInput(format!(
                "the catalogue item {} is retired: open the request against its successor",
                item.code
            )));
        }
        if !item.modes.contains(&input.mode) {
            return Err(WorkflowError::BadInput(format!(
                "{} is not handled by {} (it offers {})",
                item.code,
                input.mode,
                item.modes
                    .iter()
                    .map(|m| m.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if input.mode == Mode::Proxy && input.authorisation.is_none() {
            return Err(WorkflowError::BadInput(
                "a proxy-handled request records the villager's authorisation (who, how, when)"
                    .into(),
            ));
        }
        if let Some(auth) = &input.authorisation
            && (auth.by.trim().is_empty() || auth.at > self.clock.now())
        {
            return Err(WorkflowError::BadInput(
                "an authorisation names who gave it and when, not in the future".into(),
            ));
        }
        let description = input.description.trim();
        if description.is_empty() || description.chars().count() > 2000 {
            return Err(WorkflowError::BadInput(
                "describe the need in 1 to 2000 characters".into(),
            ));
        }
        let due = self.due(Status::Reported, item.time_limit_days).await?;
        Ok(CheckedRequest {
            new: NewRequest {
                id: new_id("sr"),
                resident_id: resident.id.clone(),
                village_code: resident.village_code.clone(),
                catalogue_code: item.code.clone(),
                mode: input.mode,
                description: description.to_owned(),
                authorisation: input.authorisation,
                alert_id: input.alert_id,
                visit_id: input.visit_id,
            },
            due,
        })
    }
}
