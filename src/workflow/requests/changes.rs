//! Writing service requests: opening one, and applying a change if the request is still
//! at the version the caller saw.

use chrono::{DateTime, Utc};
use entities::{request_event, service_request};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use super::{Actor, Event, EventKind, NewRequest, Request, find, listing::to_request};
use crate::{
    domain::Department,
    store::{StoreError, coordination::notify_on_commit},
    workflow::lifecycle::Status,
};

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the request changed since version {expected}: it is now version {current}")]
    Conflict {
        expected: i32,
        current: i32,
        status: Status,
    },
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
    crate::workflow::tally::requests(db, &new.village_code, now).await?;
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
            status: current.status,
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
    crate::workflow::tally::requests(db, &current.village_code, now).await?;
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
    // Other instances hear of it when, and only if, the change commits.
    notify_on_commit(db, CHANNEL, &notice(&event.request_id, event.seq)).await?;
    Ok(())
}

/// The channel on which committed events are announced to every instance.
pub const CHANNEL: &str = "cunhub_request_events";

/// The announcement of event `seq` of request `id` (ids only: payloads are small, and
/// the listener reads what was committed).
pub fn notice(id: &str, seq: i32) -> String {
    format!("{id} {seq}")
}

/// The request id and sequence number an announcement names.
pub fn parse_notice(payload: &str) -> Option<(&str, i32)> {
    let (id, seq) = payload.split_once(' ')?;
    Some((id, seq.parse().ok()?))
}
