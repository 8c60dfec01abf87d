//! A count of one village for one indicator and period, as its source last computed it.
//! Each source replaces the whole set of its village's rows at once, so a retry or a
//! second instance writes the same rows again instead of adding to them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "village_rollup")]
pub struct Model {
    /// 12-digit code of the village, community or virtual living area.
    #[sea_orm(primary_key, auto_increment = false)]
    pub village_code: String,
    /// Who computes the rows: `population`, `coverage`, `alerts`, `requests`, `visits`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: String,
    /// The count's code within the source, e.g. `aged_80_plus`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// `YYYY-MM` for a month, `YYYY-MM-DD` for a day, empty for the current state.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    pub value: i64,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
