//! Village services: the catalogue, service requests moving between village, township and
//! county department under working-day deadlines, visits and alert follow-up. This module
//! decides and stores; `graphql` only translates.

pub mod alert_actions;
pub mod calendar;
pub mod catalogue;
pub mod clock;
pub mod events;
pub mod follow_up;
pub mod idempotency;
pub mod lifecycle;
mod opening;
pub mod overdue;
pub mod record_visit;
pub mod requests;
pub mod settings;
pub mod visits;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::RwLock;

pub use calendar::Calendar;
pub use clock::Clock;
pub use events::{EventBus, RequestChange};
pub use settings::WorkflowSettings;

use crate::{
    auth::{Principal, Role},
    domain::Department,
    policy::{Policy, WorkAction, WorkRecord, sees_record},
    store::StoreError,
};
use catalogue::{Item, ItemError, Mode, NewItem};
use idempotency::{Attempt, Earlier, KeyError};
use lifecycle::{Action, Level, Status, StepLimits, TransitionError};
use opening::CheckedRequest;
use requests::{Actor, Change, ChangeError, EventKind, Request};

/// Why a workflow operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Absent, or outside the caller's scope (the two look alike).
    #[error("no such {0} (or not within your scope)")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(
        "the request changed since version {expected}: it is now version {current}; reload it and decide again"
    )]
    Conflict { expected: i32, current: i32 },
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A client-generated id already names a record with other content.
    #[error("the {what} id {id} was already used for a {what} with other content")]
    IdReused { what: &'static str, id: String },
    /// The record changed between reading and writing it (another caller acted first).
    #[error("the {0} changed meanwhile: reload it and decide again")]
    Stale(&'static str),
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Item(#[from] ItemError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for WorkflowError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

impl From<ChangeError> for WorkflowError {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::Conflict { expected, current } => Self::Conflict { expected, current },
            ChangeError::Store(err) => Self::Store(err),
        }
    }
}

/// What a mutation did: its result, and whether it was a replay of an earlier attempt.
#[derive(Debug, Clone)]
pub struct Done<T> {
    pub value: T,
    pub replayed: bool,
}

/// The village-services engine shared by every request.
#[derive(Clone)]
pub struct Workflow {
    pub db: DatabaseConnection,
    pub policy: Arc<Policy>,
    pub clock: Clock,
    pub limits: StepLimits,
    pub events: EventBus,
    /// Loaded on first use (and again after an import).
    calendar: Arc<RwLock<Option<Calendar>>>,
}

/// What a caller asks to open.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub resident_id: String,
    pub catalogue_code: String,
    pub mode: Mode,
    pub description: String,
    pub authorisation: Option<requests::Authorisation>,
    pub alert_id: Option<String>,
    pub visit_id: Option<String>,
}

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
    pub fn new(
        db: DatabaseConnection,
        policy: Arc<Policy>,
        clock: Clock,
        limits: StepLimits,
    ) -> Self {
        Self {
            db,
            policy,
            clock,
            limits,
            events: EventBus::default(),
            calendar: Arc::new(RwLock::new(None)),
        }
    }

    /// Rereads the calendar (after an import).
    pub async fn reload_calendar(&self) -> Result<(), StoreError> {
        let fresh = Calendar::load(&self.db).await?;
        *self.calendar.write().await = Some(fresh);
        Ok(())
    }

    /// The deadline of the step a request enters with `status`.
    async fn due(
        &self,
        status: Status,
        item_limit: u32,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let Some(days) = self.limits.days(status, item_limit) else {
            return Ok(None);
        };
        if self.calendar.read().await.is_none() {
            self.reload_calendar().await?;
        }
        let calendar = self.calendar.read().await;
        Ok(calendar
            .as_ref()
            .map(|c| c.deadline(self.clock.now(), days)))
    }

    /// Whether `principal` sees `request` (a request outside it answers like a missing one).
    pub fn sees(
        &self,
        principal: &Principal,
        request: &Request,
        own_resident: Option<&str>,
    ) -> bool {
        let record = WorkRecord {
            village_code: &request.village_code,
            resident_id: &request.resident_id,
            department: request.department,
        };
        let scope = self.policy.work(principal.role).records;
        sees_record(principal, scope, own_resident, &record)
    }

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
        if let Some(done) = self.replay(&attempt).await? {
            return Ok(done);
        }
        // Whatever fails, a concurrent attempt under the same key may have succeeded
        // meanwhile: then its result is this attempt's too.
        match self.open_once(principal, input, &attempt).await {
            Ok(done) => Ok(done),
            Err(err) => self.replay_or(&attempt, err).await,
        }
    }

    async fn open_once(
        &self,
        principal: &Principal,
        input: OpenRequest,
        attempt: &Attempt,
    ) -> Result<Done<Request>, WorkflowError> {
        let CheckedRequest { new, due } = self.check_open(principal, input).await?;
        let now = self.clock.now();
        let actor = actor(principal);
        let txn = self.db.begin().await?;
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
        Ok(Done {
            value: request,
            replayed: false,
        })
    }

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
        if let Some(done) = self.replay(&attempt).await? {
            return Ok(done);
        }
        match self.act_once(principal, input, &attempt).await {
            Ok(done) => Ok(done),
            Err(err) => self.replay_or(&attempt, err).await,
        }
    }

    async fn act_once(
        &self,
        principal: &Principal,
        input: TakeAction,
        attempt: &Attempt,
    ) -> Result<Done<Request>, WorkflowError> {
        let request = requests::find(&self.db, &input.request_id)
            .await?
            .filter(|r| self.sees(principal, r, None))
            .ok_or(WorkflowError::NotFound("service request"))?;
        self.check_turn(principal, &request, input.action)?;
        let to = lifecycle::apply(request.status, input.action)?;
        let note = input.note.trim().to_owned();
        if input.action.needs_reason() && note.is_empty() {
            return Err(WorkflowError::BadInput(format!(
                "{} needs a note saying why",
                input.action.code()
            )));
        }
        if note.chars().count() > 2000 {
            return Err(WorkflowError::BadInput(
                "a note is at most 2000 characters".into(),
            ));
        }
        let department = match (input.action, input.department) {
            (Action::Route, Some(d)) => Some(d),
            (Action::Route, None) => {
                return Err(WorkflowError::BadInput(
                    "ROUTE names the county department to route to".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(WorkflowError::BadInput(
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
        let txn = self.db.begin().await?;
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
        Ok(Done {
            value: request,
            replayed: false,
        })
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

    /// The result id of an earlier attempt under the same key, if there was one.
    pub(crate) async fn earlier(&self, attempt: &Attempt) -> Result<Option<String>, WorkflowError> {
        match attempt.earlier(&self.db).await? {
            Earlier::None => Ok(None),
            Earlier::Reused => Err(KeyError::Reused.into()),
            Earlier::Done(id) => Ok(Some(id)),
        }
    }

    async fn replay(&self, attempt: &Attempt) -> Result<Option<Done<Request>>, WorkflowError> {
        let Some(id) = self.earlier(attempt).await? else {
            return Ok(None);
        };
        let request = requests::find(&self.db, &id)
            .await?
            .ok_or(WorkflowError::NotFound("service request"))?;
        Ok(Some(Done {
            value: request,
            replayed: true,
        }))
    }

    /// Adds a catalogue item issued within the admin's region.
    pub async fn add_item(
        &self,
        principal: &Principal,
        item: NewItem,
        idempotency_key: &str,
    ) -> Result<Done<Item>, WorkflowError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "addCatalogueItem",
            &format!("{item:?}"),
        )?;
        if let Some(code) = self.earlier(&attempt).await? {
            return self.item_replay(&code).await;
        }
        self.check_catalogue_manager(principal, &item.region)?;
        item.check()?;
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let added = catalogue::insert(&txn, &item, false, now).await?;
        if !added {
            return Err(WorkflowError::BadInput(format!(
                "the code {} is taken",
                item.code
            )));
        }
        if let Err(err) = attempt.record(&txn, &item.code, now).await {
            drop(txn);
            return match self.earlier(&attempt).await? {
                Some(code) => self.item_replay(&code).await,
                None => Err(err.into()),
            };
        }
        txn.commit().await?;
        let item = catalogue::find(&self.db, &item.code)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        Ok(Done {
            value: item,
            replayed: false,
        })
    }

    /// Retires a catalogue item issued within the admin's region.
    pub async fn retire_item(
        &self,
        principal: &Principal,
        code: &str,
        idempotency_key: &str,
    ) -> Result<Done<Item>, WorkflowError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "retireCatalogueItem",
            code,
        )?;
        if let Some(code) = self.earlier(&attempt).await? {
            return self.item_replay(&code).await;
        }
        let item = catalogue::find(&self.db, code)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        self.check_catalogue_manager(principal, &item.region)?;
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let retired = catalogue::retire(&txn, code, now)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        if let Err(err) = attempt.record(&txn, code, now).await {
            drop(txn);
            return match self.earlier(&attempt).await? {
                Some(code) => self.item_replay(&code).await,
                None => Err(err.into()),
            };
        }
        txn.commit().await?;
        Ok(Done {
            value: retired,
            replayed: false,
        })
    }

    fn check_catalogue_manager(
        &self,
        principal: &Principal,
        issuer: &str,
    ) -> Result<(), WorkflowError> {
        if !self.policy.may(principal.role, WorkAction::ManageCatalogue) {
            return Err(WorkflowError::Forbidden(format!(
                "the role `{}` cannot change the catalogue",
                principal.role
            )));
        }
        if !issuer.starts_with(principal.region.as_str()) {
            return Err(WorkflowError::Forbidden(format!(
                "items issued by {issuer} are outside your region {}",
                principal.region
            )));
        }
        Ok(())
    }

    async fn item_replay(&self, code: &str) -> Result<Done<Item>, WorkflowError> {
        let item = catalogue::find(&self.db, code)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        Ok(Done {
            value: item,
            replayed: true,
        })
    }

    /// After a failed write: if a concurrent attempt under the same key succeeded, its
    /// result is this attempt's too; otherwise the failure stands.
    async fn replay_or(
        &self,
        attempt: &Attempt,
        err: WorkflowError,
    ) -> Result<Done<Request>, WorkflowError> {
        match self.replay(attempt).await {
            Ok(Some(done)) => Ok(done),
            Ok(None) => Err(err),
            Err(WorkflowError::Key(KeyError::Reused)) => Err(KeyError::Reused.into()),
            Err(_) => Err(err),
        }
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
    }
}

fn actor(principal: &Principal) -> Actor {
    Actor {
        subject: principal.subject.clone(),
        role: principal.role.as_str().to_owned(),
    }
}

/// A new time-ordered id with a readable prefix (`sr-…`), so ids sort by creation and a
/// keyset page in id order is a page in time order.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}
