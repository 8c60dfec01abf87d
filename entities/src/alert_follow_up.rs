//! What the village or township did about an alert: acknowledged it, dismissed it as a
//! false positive, or turned it into a service request.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_follow_up")]
pub struct Model {
    /// The alert's id (`{resident id}:{kind}`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub alert_id: String,
    pub resident_id: String,
    pub village_code: String,
    pub kind: String,
    /// `ACKNOWLEDGED`, `DISMISSED` or `REQUEST_OPENED`.
    pub state: String,
    /// The alert's facts when it was followed up: a dismissal holds only while they stay.
    pub facts: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub actor_subject: String,
    pub at: DateTimeUtc,
    /// When the alert was first found, as it stood when followed up: the start of the
    /// days it took to handle.
    pub found_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
