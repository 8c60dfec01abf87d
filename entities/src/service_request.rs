//! A service request: a resident's need reported by their village, with the state of its
//! current step. Its history is in `request_event`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub resident_id: String,
    /// 12-digit code of the resident's village when the request was opened.
    pub village_code: String,
    pub catalogue_code: String,
    /// The handling mode, e.g. `PROXY`.
    pub mode: String,
    pub status: String,
    /// The county department it was routed to, once routed.
    pub department: Option<String>,
    pub description: String,
    /// JSON of the villager's authorisation of a proxy-handled request.
    pub authorisation: Option<String>,
    /// The alert it was opened from, if any.
    pub alert_id: Option<String>,
    /// The visit it was opened from, if any.
    pub visit_id: Option<String>,
    pub opened_by: String,
    /// When the current step is due; `None` once the request is closed.
    pub step_due: Option<DateTimeUtc>,
    /// The current step is past its deadline and has been escalated.
    pub overdue: bool,
    pub escalations: i32,
    /// Optimistic concurrency: every change increments it.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
