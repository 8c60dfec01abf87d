//! A villager's rating of a resolved service request (好差评): given once, by the
//! resident or by the village assistant on their behalf (`on_behalf`). Personal data of
//! the rater, read under the same rule as the request.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_rating")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    /// One of the five levels, e.g. `VERY_SATISFIED`.
    pub level: String,
    pub comment: Option<String>,
    /// The token subject who gave it.
    pub rated_by: String,
    pub rater_role: String,
    /// Given by an assistant on the resident's behalf.
    pub on_behalf: bool,
    /// 12-digit code of the request's village.
    pub village_code: String,
    /// The county department the request was routed to, if it was.
    pub department: Option<String>,
    pub catalogue_code: String,
    pub rated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
