//! Reading service requests: one by id, its timeline, the steps past their deadline, and
//! the work lists.

use chrono::{DateTime, Utc};
use entities::{request_event, service_request};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Query, SelectStatement},
};

use super::{Event, EventKind, Request};
use crate::{
    domain::Department,
    store::StoreError,
    workflow::{catalogue::Mode, lifecycle::Status},
};

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

/// Event `seq` of request `id`.
pub async fn event(
    db: &impl ConnectionTrait,
    id: &str,
    seq: i32,
) -> Result<Option<Event>, StoreError> {
    request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id))
        .filter(request_event::Column::Seq.eq(seq))
        .one(db)
        .await?
        .map(to_event)
        .transpose()
}

/// Every event at or after `since`, in time order (each request's in sequence).
pub async fn events_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<Event>, StoreError> {
    request_event::Entity::find()
        .filter(request_event::Column::At.gte(since))
        .order_by_asc(request_event::Column::At)
        .order_by_asc(request_event::Column::RequestId)
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

/// The ids of the requests routed to `department` (a query of one column).
pub fn routed_to(department: Department) -> SelectStatement {
    Query::select()
        .column(service_request::Column::Id)
        .from(service_request::Entity)
        .and_where(service_request::Column::Department.eq(department.as_str()))
        .to_owned()
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

pub(super) fn to_request(row: service_request::Model) -> Result<Request, StoreError> {
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
