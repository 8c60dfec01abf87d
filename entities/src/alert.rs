//! A finding of a screening run: one cross-department check that a resident fails, with
//! the facts behind it and the time of the run that found it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert")]
pub struct Model {
    /// `{resident id}:{kind}`: a resident carries each kind at most once.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub resident_id: String,
    /// 12-digit code of the resident's village or community at the time of the run.
    pub village_code: String,
    /// The alert kind's stable code, e.g. `ID_CARD_EXPIRED`.
    pub kind: String,
    /// The departments whose answers the alert rests on, as `,a,b,` for a LIKE match.
    pub departments: String,
    /// JSON list of `{"department": …, "fact": …}`.
    pub facts: String,
    /// When the run read the departments' answers.
    pub screened_at: DateTimeUtc,
    /// When a run first found the resident failing this check (kept by later runs that
    /// find it again); null for alerts stored before it was recorded.
    pub first_found_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
