//! Progress of a resident-index synchronisation of one region, so an interrupted run
//! resumes where it stopped.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_state")]
pub struct Model {
    /// The region code the run covers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    pub generation: i64,
    /// The department's cursor after the last committed page; `None` before the first.
    pub cursor: Option<String>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub seen: i64,
    pub added: i64,
    pub changed: i64,
    pub moved_out: i64,
    pub deceased: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
