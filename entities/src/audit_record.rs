//! The append-only access log: each record carries the hash of the one before.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_record")]
pub struct Model {
    /// Consecutive from 1: the writer assigns it, so a gap is a deleted record.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub recorded_at: DateTimeUtc,
    pub request_id: String,
    pub subject: String,
    pub role: String,
    pub region: String,
    pub purpose: Option<String>,
    pub case_ref: Option<String>,
    /// What was done, e.g. `resident.read`.
    pub action: String,
    /// Whose data: a resident id, a household number, or empty.
    pub target: String,
    /// Comma-separated department names.
    pub departments: String,
    /// Comma-separated field groups.
    pub field_groups: String,
    /// `granted`, `not_found`, or `refused:REASON`.
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
