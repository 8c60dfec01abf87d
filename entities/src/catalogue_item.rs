//! An item of the catalogue of government services that village organisations assist with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalogue_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    /// The county department that handles it (a `dept` value).
    pub department: String,
    /// `PROVINCIAL_REFERENCE`, `MUNICIPAL_GUIDANCE` or `COUNTY_BASIC`.
    pub level: String,
    /// The region that issued it: `22` for the province, a prefecture or a county code.
    pub region: String,
    /// Handling modes as `,PROXY,VIDEO,` for a LIKE match.
    pub modes: String,
    /// JSON list of required materials.
    pub materials: String,
    pub time_limit_days: i32,
    /// Shipped as an example, not an official list.
    pub illustrative: bool,
    pub created_at: DateTimeUtc,
    /// Retired items stay readable on the requests that name them.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
