//! Service requests in the hub's tables: opening one, moving it along under optimistic
//! versioning, its timeline, and the work lists. Every change writes the request and its
//! timeline event in one transaction, and the version check is the first statement of
//! that transaction, so two officers acting at once can never both win.

use chrono::{DateTime, Utc};
use entities::{request_event, service_request};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};

use super::{
    catalogue::Mode,
    lifecycle::{Action, Status},
};
use crate::{domain::Department, store::StoreError};

/// How a villager authorised a proxy-handled request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorisationMethod {
    /// A signed authorisation form.
    Written,
    /// A fingerprint on the form (for those who cannot sign).
    Fingerprint,
    /// Recorded on a video call.
    Video,
    /// Given in person to the assistant, witnessed.
    InPersonWitnessed,
}

/// The villager's authorisation of a proxy-handled request: who, how, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisation {
    /// Who authorised: the villager, or their guardian or relative by name.
    pub by: String,
    pub method: AuthorisationMethod,
    pub at: DateTime<Utc>,
}

/// A service request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: String,
    pub resident_id: String,
    pub village_code: String,
    pub catalogue_code: String,
    pub mode: Mode,
    pub status: Status,
    pub department: Option<Department>,
    pub description: String,
    pub authorisation: Option<Authorisation>,
    pub alert_id: Option<String>,
    pub visit_id: Option<String>,
    pub opened_by: String,
    pub step_due: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub escalations: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What kind of timeline event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Opened,
    Transition(Action),
    /// The step passed its deadline and was escalated.
    Escalated,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Opened => "OPENED",
            Self::Escalated => "ESCALATED",
            Self::Transition(action) => match action {
                Action::Accept => "ACCEPTED",
                Action::ResolveByTownship => "RESOLVED_BY_TOWNSHIP",
                Action::Route => "ROUTED",
                Action::Respond => "RESPONDED",
                Action::ReturnToTownship => "RETURNED_TO_TOWNSHIP",
                Action::Return => "RETURNED",
                Action::Resubmit => "RESUBMITTED",
                Action::Reject => "REJECTED",
                Action::ConfirmResolved => "RESOLVED",
            },
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "OPENED" => Some(Self::Opened),
            "ESCALATED" => Some(Self::Escalated),
            other => Action::ALL
                .into_iter()
                .map(Self::Transition)
                .find(|k| k.code() == other),
        }
    }
}

/// One event of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub request_id: String,
    pub seq: i32,
    pub kind: EventKind,
    pub status: Status,
    pub actor_subject: String,
    pub actor_role: String,
    pub note: String,
    pub at: DateTime<Utc>,
    pub due: Option<DateTime<Utc>>,
}

/// A request to be opened.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub id: String,
    pub resident_id: String,
    pub village_code: String,
    pub catalogue_code: String,
    pub mode: Mode,
    pub description: String,
    pub authorisation: Option<Authorisation>,
    pub alert_id: Option<String>,
    pub visit_id: Option<String>,
}

/// Who does something to a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: String,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the request changed since version {expected}: it is now version {current}")]
    Conflict { expected: i32, current: i32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ChangeError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// Inserts a new request (version 1, REPORTED) and its OPENED event. Run inside a
/// transaction: the insert comes first so it takes the write lock at once.
pub async fn open(
    db: &impl ConnectionTrait,
    new: &NewRequest,
    actor: &Actor,
    note: &str,
    now: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
) -> Result<(Request, Event), StoreError> {
    let authorisation = new
        .authorisation
        .as_ref()
        .map(|a| serde_json::to_string(a).unwrap_or_default());
    let row = service_request::Model {
        id: new.id.clone(),
        resident_id: new.resident_id.clone(),
        village_code: new.village_code.clone(),
        catalogue_code: new.catalogue_code.clone(),
        mode: new.mode.code().to_owned(),
        status: Status::Reported.code().to_owned(),
        department: None,
        description: new.description.clone(),
        authorisation,
        alert_id: new.alert_id.clone(),
        visit_id: new.visit_id.clone(),
        opened_by: actor.subject.clone(),
        step_due: due,
        overdue: false,
        escalations: 0,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    service_request::Entity::insert(service_request::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    let event = Event {
        request_id: new.id.clone(),
        seq: 1,
        kind: EventKind::Opened,
        status: Status::Reported,
        actor_subject: actor.subject.clone(),
        actor_role: actor.role.clone(),
        note: note.to_owned(),
        at: now,
        due,
    };
    insert_event(db, &event).await?;
    Ok((to_request(row)?, event))
}

/// A change of status decided by the caller on `version` of the request.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: EventKind,
    pub to: Status,
    pub department: Option<Department>,
    pub note: String,
    pub due: Option<DateTime<Utc>>,
    /// Marks the step overdue (an escalation) rather than starting a new one.
    pub escalation: bool,
}

/// Applies `change` if the request is still at `expected` version: the conditional
/// update is the first statement, so the loser of a race gets `Conflict` and changes
/// nothing.
pub async fn apply(
    db: &impl ConnectionTrait,
    id: &str,
    expected: i32,
    change: &Change,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Request, Event), ChangeError> {
    let mut update = service_request::Entity::update_many()
        .col_expr(
            service_request::Column::Status,
            Expr::value(change.to.code()),
        )
        .col_expr(
            service_request::Column::Version,
            Expr::col(service_request::Column::Version).add(1),
        )
        .col_expr(service_request::Column::UpdatedAt, Expr::value(now));
    if change.escalation {
        update = update
            .col_expr(service_request::Column::Overdue, Expr::value(true))
            .col_expr(
                service_request::Column::Escalations,
                Expr::col(service_request::Column::Escalations).add(1),
            );
    } else {
        update = update
            .col_expr(service_request::Column::Overdue, Expr::value(false))
            .col_expr(service_request::Column::StepDue, Expr::value(change.due));
    }
    if let Some(department) = change.department {
        update = update.col_expr(
            service_request::Column::Department,
            Expr::value(department.as_str()),
        );
    }
    let result = update
        .filter(service_request::Column::Id.eq(id))
        .filter(service_request::Column::Version.eq(expected))
        .exec(db)
        .await?;
    let current = find(db, id).await?;
    let Some(current) = current else {
        return Err(StoreError::Data(format!("request {id} vanished")).into());
    };
    if result.rows_affected == 0 {
        return Err(ChangeError::Conflict {
            expected,
            current: current.version,
        });
    }
    let event = Event {
        request_id: id.to_owned(),
        seq: current.version,
        kind: change.kind,
        status: change.to,
        actor_subject: actor.subject.clone(),
        actor_role: actor.role.clone(),
        note: change.note.clone(),
        at: now,
        due: if change.escalation { None } else { change.due },
    };
    insert_event(db, &event).await?;
    Ok((current, event))
}

async fn insert_event(db: &impl ConnectionTrait, event: &Event) -> Result<(), StoreError> {
    request_event::Entity::insert(request_event::ActiveModel {
        id: NotSet,
        request_id: Set(event.request_id.clone()),
        seq: Set(event.seq),
        kind: Set(event.kind.code().to_owned()),
        status: Set(event.status.code().to_owned()),
        actor_subject: Set(event.actor_subject.clone()),
        actor_role: Set(event.actor_role.clone()),
        note: Set(event.note.clone()),
        at: Set(event.at),
        due: Set(event.due),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Request>, StoreError> {
    service_request::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(to_request)
        .transpose()
}

/// A request's timeline, oldest first.
pub async fn timeline(db: &impl ConnectionTrait, id: &str) -> Result<Vec<Event>, StoreError> {
    request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id))
        .order_by_asc(request_event::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(to_event)
        .collect()
}

/// Open requests whose current step is past its deadline and not yet escalated.
pub async fn overdue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Request>, StoreError> {
    let open: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|s| !s.is_closed())
        .map(Status::code)
        .collect();
    service_request::Entity::find()
        .filter(service_request::Column::Overdue.eq(false))
        .filter(service_request::Column::StepDue.lt(now))
        .filter(service_request::Column::Status.is_in(open))
        .order_by_asc(service_request::Column::StepDue)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_request)
        .collect()
}

/// Which requests a work list shows.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// A region prefix the request's village starts with.
    pub region_prefix: String,
    /// Only requests routed (at some point, now or before) to this department.
    pub department: Option<Department>,
    /// Only requests about this resident.
    pub resident_id: Option<String>,
    pub statuses: Vec<Status>,
    pub overdue: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
    pub catalogue_code: Option<String>,
}

impl RequestFilter {
    /// Whether `request` is one the filter selects: the condition of [`page`], for a
    /// request at hand (a live change) rather than in the database.
    pub fn matches(&self, request: &Request) -> bool {
        request.village_code.starts_with(&self.region_prefix)
            && self
                .department
                .is_none_or(|d| request.department == Some(d))
            && self
                .resident_id
                .as_ref()
                .is_none_or(|r| *r == request.resident_id)
            && (self.statuses.is_empty() || self.statuses.contains(&request.status))
            && self.overdue.is_none_or(|o| o == request.overdue)
            && self.updated_since.is_none_or(|t| request.updated_at >= t)
            && self
                .catalogue_code
                .as_ref()
                .is_none_or(|c| *c == request.catalogue_code)
    }

    fn condition(&self) -> Condition {
        let mut condition = Condition::all()
            .add(service_request::Column::VillageCode.starts_with(&self.region_prefix));
        if let Some(department) = self.department {
            condition = condition.add(service_request::Column::Department.eq(department.as_str()));
        }
        if let Some(resident) = &self.resident_id {
            condition = condition.add(service_request::Column::ResidentId.eq(resident.as_str()));
        }
        if !self.statuses.is_empty() {
            let codes: Vec<&str> = self.statuses.iter().map(|s| s.code()).collect();
            condition = condition.add(service_request::Column::Status.is_in(codes));
        }
        if let Some(overdue) = self.overdue {
            condition = condition.add(service_request::Column::Overdue.eq(overdue));
        }
        if let Some(since) = self.updated_since {
            condition = condition.add(service_request::Column::UpdatedAt.gte(since));
        }
        if let Some(code) = &self.catalogue_code {
            condition = condition.add(service_request::Column::CatalogueCode.eq(code.as_str()));
        }
        condition
    }
}

/// Up to `limit` requests after `after` (by id; ids grow with time), and whether more
/// follow.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &RequestFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<Request>, bool), StoreError> {
    let mut condition = filter.condition();
    if let Some(after) = after {
        condition = condition.add(service_request::Column::Id.gt(after));
    }
    let mut rows = service_request::Entity::find()
        .filter(condition)
        .order_by_asc(service_request::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let requests = rows.into_iter().map(to_request).collect::<Result<_, _>>()?;
    Ok((requests, has_next))
}

pub async fn count(db: &impl ConnectionTrait, filter: &RequestFilter) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(service_request::Entity::find()
        .filter(filter.condition())
        .count(db)
        .await?)
}

fn to_request(row: service_request::Model) -> Result<Request, StoreError> {
    let broken = |what: &str| StoreError::Data(format!("request {}: bad {what}", row.id));
    Ok(Request {
        mode: Mode::parse(&row.mode).ok_or_else(|| broken("mode"))?,
        status: Status::parse(&row.status).ok_or_else(|| broken("status"))?,
        department: match &row.department {
            Some(d) => Some(Department::parse(d).ok_or_else(|| broken("department"))?),
            None => None,
        },
        authorisation: match &row.authorisation {
            Some(text) => Some(serde_json::from_str(text).map_err(|_| broken("authorisation"))?),
            None => None,
        },
        id: row.id,
        resident_id: row.resident_id,
        village_code: row.village_code,
        catalogue_code: row.catalogue_code,
        description: row.description,
        alert_id: row.alert_id,
        visit_id: row.visit_id,
        opened_by: row.opened_by,
        step_due: row.step_due,
        overdue: row.overdue,
        escalations: row.escalations,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_event(row: request_event::Model) -> Result<Event, StoreError> {
    let broken = |what: &str| StoreError::Data(format!("event {}: bad {what}", row.id));
    Ok(Event {
        kind: EventKind::parse(&row.kind).ok_or_else(|| broken("kind"))?,
        status: Status::parse(&row.status).ok_or_else(|| broken("status"))?,
        request_id: row.request_id,
        seq: row.seq,
        actor_subject: row.actor_subject,
        actor_role: row.actor_role,
        note: row.note,
        at: row.at,
        due: row.due,
    })
}
