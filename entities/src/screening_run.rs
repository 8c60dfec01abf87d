//! The position and lease of the screening run of one region, so an interrupted run
//! resumes where it stopped and two hub instances never screen one region at once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "screening_run")]
pub struct Model {
    /// The region code the run covers (12-digit statistical form).
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    /// Counts the runs of this region; a finished run's successor takes the next number.
    pub generation: i64,
    /// Who holds the lease (an instance and process id), while a run is going.
    pub lease_holder: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The last village (12 digits) whose findings are committed; villages go in code order.
    pub last_village: Option<String>,
    pub villages: i64,
    pub residents: i64,
    pub alerts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
