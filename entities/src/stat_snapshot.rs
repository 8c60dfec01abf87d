//! One published snapshot of the dashboard's figures: every region's cells with their
//! suppression marks, computed once and served as they are.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stat_snapshot")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub taken_at: DateTimeUtc,
    /// The small-cell threshold the snapshot was suppressed with.
    pub threshold: i32,
    /// JSON of every region's counts and their marks (the counts are served unsuppressed
    /// to the admin only).
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
