//! One event of a service request's timeline: a transition, or an escalation.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: String,
    /// The request's version this event produced; unique per request.
    pub seq: i32,
    pub kind: String,
    /// The request's status after the event.
    pub status: String,
    pub actor_subject: String,
    pub actor_role: String,
    pub note: String,
    pub at: DateTimeUtc,
    /// The deadline of the step the event began, if it began one.
    pub due: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
