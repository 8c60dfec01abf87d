//! The villages of a screening run split across hub instances: each a work item that one
//! instance claims under a lease, and marks done with its findings in one transaction.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "screening_item")]
pub struct Model {
    /// The run's region (12-digit statistical form, as `screening_run.region`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    /// The village (12 digits).
    #[sea_orm(primary_key, auto_increment = false)]
    pub village: String,
    /// The run's generation the item belongs to.
    pub generation: i64,
    /// The instance working on it, while its lease lasts.
    pub holder: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub done: bool,
    pub residents: i64,
    pub alerts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
