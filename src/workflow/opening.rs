//! Opening a service request directly, and the checks of opening one, shared by every
//! way one is opened: directly, from a visit, or from an alert. The checks read but write
//! nothing, so the caller can write the request together with whatever it was opened
//! from in one transaction.

use chrono::{DateTime, Utc};

use super::{
    RequestChange, Workflow, WorkflowError, actor, catalogue,
    catalogue::Mode,
    lifecycle::Status,
    new_id,
    requests::{self, Authorisation, NewRequest, Request},
};
use crate::{
    auth::Principal,
    policy::WorkAction,
    store::{
        StoreError,
        idempotency::{self, Attempt, Done},
        residents,
    },
};

/// What a caller asks to open.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub resident_id: String,
    pub catalogue_code: String,
    pub mode: Mode,
    pub description: String,
    pub authorisation: Option<Authorisation>,
    pub alert_id: Option<String>,
    pub visit_id: Option<String>,
}

/// A request that passed every check, ready to be written.
#[derive(Debug, Clone)]
pub struct CheckedRequest {
    pub new: NewRequest,
    /// The deadline of its first step (the township's acceptance).
    pub due: Option<DateTime<Utc>>,
}

impl Workflow {
    /// Opens a request for a resident of the caller's village.
    pub async fn open(
        &self,
        principal: &Principal,
        input: OpenRequest,
        idempotency_key: &str,
    ) -> Result<Done<Request>, WorkflowError> {
        let fingerprint = format!(
            "{}|{}|{}|{}|{:?}|{:?}|{:?}",
            input.resident_id,
            input.catalogue_code,
            input.mode,
            input.description,
            input.authorisation,
            input.alert_id,
            input.visit_id
        );
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "openServiceRequest",
            &fingerprint,
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |id| async move { self.request_replay(&id).await },
            self.open_once(principal, input, &attempt),
        )
        .await
    }

    async fn open_once(
        &self,
        principal: &Principal,
        input: OpenRequest,
        attempt: &Attempt,
    ) -> Result<Request, WorkflowError> {
        let CheckedRequest { new, due } = self.check_open(principal, input).await?;
        let now = self.clock.now();
        let actor = actor(principal);
        let txn = crate::store::begin_writing(&self.db).await?;
        let written = async {
            let (request, event) = requests::open(&txn, &new, &actor, "", now, due).await?;
            attempt.record(&txn, &request.id, now).await?;
            Ok::<_, StoreError>((request, event))
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
            return Err(WorkflowError::BadInput(
                "catalogueCode",
                format!(
                    "the catalogue item {} is retired: open the request against its successor",
                    item.code
                ),
            ));
        }
        if !item.modes.contains(&input.mode) {
            return Err(WorkflowError::BadInput(
                "mode",
                format!(
                    "{} is not handled by {} (it offers {})",
                    item.code,
                    input.mode,
                    item.modes
                        .iter()
                        .map(|m| m.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if input.mode == Mode::Proxy && input.authorisation.is_none() {
            return Err(WorkflowError::BadInput(
                "authorisation",
                "a proxy-handled request records the villager's authorisation (who, how, when)"
                    .into(),
            ));
        }
        if let Some(auth) = &input.authorisation
            && (auth.by.trim().is_empty() || auth.at > self.clock.now())
        {
            return Err(WorkflowError::BadInput(
                "authorisation",
                "an authorisation names who gave it and when, not in the future".into(),
            ));
        }
        let description = input.description.trim();
        if description.is_empty() || description.chars().count() > 2000 {
            return Err(WorkflowError::BadInput(
                "description",
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
