//! The division tree: one row per administrative or statistical unit of Jilin Province.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "region")]
pub struct Model {
    /// The 12-digit statistical code (a shorter code padded with zeros).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    /// `province`, `prefecture`, `county`, `township`, `village`, `community` or `other`.
    pub level: String,
    /// The 12-digit code of the unit one level up; `None` for the province.
    pub parent_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
