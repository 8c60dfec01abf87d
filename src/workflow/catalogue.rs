//! The catalogue of government services that village organisations assist with: items
//! issued by the province, a prefecture or a county, each seen where it applies. Owns the
//! table `catalogue_item`.

use std::fmt;

use chrono::{DateTime, Utc};
use entities::catalogue_item;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Deserialize;

use crate::{domain::RegionCode, store::StoreError};

const SHIPPED: &str = include_str!("../../data/catalogue/jilin.toml");

/// Who issued an item, by the length of its region code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    ProvincialReference,
    MunicipalGuidance,
    CountyBasic,
}

impl Level {
    pub fn of(region: &str) -> Option<Self> {
        match region.len() {
            2 => Some(Self::ProvincialReference),
            4 => Some(Self::MunicipalGuidance),
            6 => Some(Self::CountyBasic),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::ProvincialReference => "PROVINCIAL_REFERENCE",
            Self::MunicipalGuidance => "MUNICIPAL_GUIDANCE",
            Self::CountyBasic => "COUNTY_BASIC",
        }
    }
}

/// How a village handles an item for a villager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Proxy,
    Video,
    Online,
    InVillage,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Self::Proxy, Self::Video, Self::Online, Self::InVillage];

    pub fn code(self) -> &'static str {
        match self {
            Self::Proxy => "PROXY",
            Self::Video => "VIDEO",
            Self::Online => "ONLINE",
            Self::InVillage => "IN_VILLAGE",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A catalogue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub department: String,
    pub region: String,
    pub modes: Vec<Mode>,
    pub materials: Vec<String>,
    pub time_limit_days: u32,
    pub illustrative: bool,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl Item {
    pub fn level(&self) -> Level {
        Level::of(&self.region).unwrap_or(Level::ProvincialReference)
    }
}

/// A new item as an admin or the shipped file gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    pub code: String,
    pub name: String,
    pub department: String,
    #[serde(default = "province")]
    pub region: String,
    pub modes: Vec<String>,
    #[serde(default)]
    pub materials: Vec<String>,
    pub time_limit_days: u32,
}

fn province() -> String {
    "22".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    item: Vec<NewItem>,
}

/// Why an item cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("an item code is 3 to 32 letters, digits or dashes")]
    BadCode,
    #[error("an item needs a name of at most 200 characters")]
    BadName,
    #[error("`{0}` is not a department a request can be routed to")]
    UnknownDepartment(String),
    #[error(
        "an item is issued by the province (22), a prefecture (4 digits) or a county (6 digits), not `{0}`"
    )]
    BadRegion(String),
    #[error("`{0}` is not a handling mode (PROXY, VIDEO, ONLINE, IN_VILLAGE)")]
    BadMode(String),
    #[error("an item needs at least one handling mode")]
    NoMode,
    #[error("a time limit is 1 to 365 working days")]
    BadTimeLimit,
}

impl NewItem {
    /// The item's modes, after checking every field.
    pub fn check(&self) -> Result<Vec<Mode>, ItemError> {
        let code_ok = (3..=32).contains(&self.code.len())
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !code_ok {
            return Err(ItemError::BadCode);
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(ItemError::BadName);
        }
        if crate::domain::Department::parse(&self.department).is_none() {
            return Err(ItemError::UnknownDepartment(self.department.clone()));
        }
        if Level::of(&self.region).is_none() || RegionCode::parse(&self.region).is_err() {
            return Err(ItemError::BadRegion(self.region.clone()));
        }
        if !(1..=365).contains(&self.time_limit_days) {
            return Err(ItemError::BadTimeLimit);
        }
        let modes = self
            .modes
            .iter()
            .map(|m| Mode::parse(m).ok_or_else(|| ItemError::BadMode(m.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        if modes.is_empty() {
            return Err(ItemError::NoMode);
        }
        Ok(modes)
    }
}

/// The shipped catalogue, checked.
pub fn shipped() -> Result<Vec<NewItem>, String> {
    let file: CatalogueFile = toml::from_str(SHIPPED).map_err(|e| e.to_string())?;
    for item in &file.item {
        item.check().map_err(|e| format!("{}: {e}", item.code))?;
    }
    Ok(file.item)
}

/// Inserts an item. `Ok(false)` when its code is taken.
pub async fn insert(
    db: &impl ConnectionTrait,
    item: &NewItem,
    illustrative: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if catalogue_item::Entity::find_by_id(item.code.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let modes = item
        .modes
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(",");
    catalogue_item::Entity::insert(catalogue_item::ActiveModel {
        code: Set(item.code.clone()),
        name: Set(item.name.trim().to_owned()),
        department: Set(item.department.clone()),
        level: Set(Level::of(&item.region)
            .unwrap_or(Level::ProvincialReference)
            .code()
            .to_owned()),
        region: Set(item.region.clone()),
        modes: Set(format!(",{modes},")),
        materials: Set(serde_json::to_string(&item.materials).unwrap_or_else(|_| "[]".into())),
        time_limit_days: Set(i32::try_from(item.time_limit_days).unwrap_or(i32::MAX)),
        illustrative: Set(illustrative),
        created_at: Set(now),
        retired_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Loads the shipped items that are not there yet (idempotent).
pub async fn seed(db: &impl ConnectionTrait) -> Result<usize, StoreError> {
    let items = shipped().map_err(StoreError::Data)?;
    let mut added = 0;
    for item in &items {
        if insert(db, item, true, Utc::now()).await? {
            added += 1;
        }
    }
    Ok(added)
}

/// Retires an item: it stays readable, but no new request can name it. `Ok(None)` when
/// there is no such item.
pub async fn retire(
    db: &impl ConnectionTrait,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<Item>, StoreError> {
    let Some(row) = catalogue_item::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.retired_at.is_some() {
        return Ok(Some(to_item(row)));
    }
    let mut active: catalogue_item::ActiveModel = row.into();
    active.retired_at = Set(Some(now));
    let row = sea_orm::ActiveModelTrait::update(active, db).await?;
    Ok(Some(to_item(row)))
}

pub async fn find(db: &impl ConnectionTrait, code: &str) -> Result<Option<Item>, StoreError> {
    Ok(catalogue_item::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .map(to_item))
}

/// Which items a listing returns.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Items that apply in this region (issued by it or by a division above it).
    pub applies_in: Option<String>,
    pub department: Option<String>,
    pub mode: Option<Mode>,
    pub include_retired: bool,
}

/// Up to `limit` items after `after` (by code), and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &ItemFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<Item>, bool), StoreError> {
    let mut condition = condition(filter);
    if let Some(after) = after {
        condition = condition.add(catalogue_item::Column::Code.gt(after));
    }
    let mut rows = catalogue_item::Entity::find()
        .filter(condition)
        .order_by_asc(catalogue_item::Column::Code)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows.into_iter().map(to_item).collect(), has_next))
}

fn condition(filter: &ItemFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(region) = &filter.applies_in {
        // Issued by the province, the region's prefecture or its county.
        let issuers: Vec<String> = [2, 4, 6]
            .into_iter()
            .filter(|n| region.len() >= *n)
            .map(|n| region[..n].to_owned())
            .collect();
        condition = condition.add(catalogue_item::Column::Region.is_in(issuers));
    }
    if let Some(department) = &filter.department {
        condition = condition.add(catalogue_item::Column::Department.eq(department.as_str()));
    }
    if let Some(mode) = filter.mode {
        condition = condition.add(catalogue_item::Column::Modes.contains(format!(",{mode},")));
    }
    if !filter.include_retired {
        condition = condition.add(catalogue_item::Column::RetiredAt.is_null());
    }
    condition
}

pub async fn count(db: &impl ConnectionTrait, filter: &ItemFilter) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(catalogue_item::Entity::find()
        .filter(condition(filter))
        .count(db)
        .await?)
}

fn to_item(row: catalogue_item::Model) -> Item {
    Item {
        modes: row.modes.split(',').filter_map(Mode::parse).collect(),
        materials: serde_json::from_str(&row.materials).unwrap_or_default(),
        time_limit_days: u32::try_from(row.time_limit_days).unwrap_or(1),
        code: row.code,
        name: row.name,
        department: row.department,
        region: row.region,
        illustrative: row.illustrative,
        created_at: row.created_at,
        retired_at: row.retired_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_is_valid_and_mostly_provincial() {
        let items = shipped().unwrap_or_default();
        let provincial = items.iter().filter(|i| i.region == "22").count();
        assert!(
            (25..=40).contains(&provincial),
            "{provincial} provincial items"
        );
        assert!(items.iter().any(|i| i.region.len() == 4));
        assert!(items.iter().any(|i| i.region.len() == 6));
    }

    #[test]
    fn a_bad_item_is_refused_with_its_fault() {
        let item = NewItem {
            code: "X-1".into(),
            name: "x".into(),
            department: "tax".into(),
            region: "22".into(),
            modes: vec!["PROXY".into()],
            materials: vec![],
            time_limit_days: 3,
        };
        assert_eq!(
            item.check(),
            Err(ItemError::UnknownDepartment("tax".into()))
        );
        let item = NewItem {
            department: "health".into(),
            region: "22012".into(),
            ..item
        };
        assert_eq!(item.check(), Err(ItemError::BadRegion("22012".into())));
    }
}
