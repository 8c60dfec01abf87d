//! Reads of the division tree (the table `region`, written by [`super::divisions`]).

use entities::region;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, LikeExpr},
};

use super::StoreError;
use crate::domain::{RegionCode, RegionLevel, divisions::Division};

/// Which regions a listing returns.
#[derive(Debug, Clone, Default)]
pub struct RegionFilter {
    pub parent: Option<RegionCode>,
    pub level: Option<RegionLevel>,
    pub name_contains: Option<String>,
}

/// One page of regions in code order, and whether more follow.
#[derive(Debug, Clone)]
pub struct RegionPage {
    pub regions: Vec<Division>,
    pub has_next: bool,
}

pub async fn find(
    db: &impl ConnectionTrait,
    code: &RegionCode,
) -> Result<Option<Division>, StoreError> {
    let row = region::Entity::find_by_id(code.statistical())
        .one(db)
        .await?;
    row.map(to_division).transpose()
}

/// The regions with these codes, in code order; unknown codes are skipped.
pub async fn find_many(
    db: &impl ConnectionTrait,
    codes: &[RegionCode],
) -> Result<Vec<Division>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = codes.iter().map(RegionCode::statistical).collect();
    region::Entity::find()
        .filter(region::Column::Code.is_in(keys))
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(to_division)
        .collect()
}

/// Up to `limit` regions after the `after` code (keyset paging: stable under inserts).
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &RegionFilter,
    after: Option<&RegionCode>,
    limit: u64,
) -> Result<RegionPage, StoreError> {
    let mut condition = condition(filter);
    if let Some(after) = after {
        condition = condition.add(region::Column::Code.gt(after.statistical()));
    }
    let mut rows = region::Entity::find()
        .filter(condition)
        .order_by_asc(region::Column::Code)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let regions = rows
        .into_iter()
        .map(to_division)
        .collect::<Result<_, _>>()?;
    Ok(RegionPage { regions, has_next })
}

pub async fn count(db: &impl ConnectionTrait, filter: &RegionFilter) -> Result<u64, StoreError> {
    Ok(region::Entity::find()
        .filter(condition(filter))
        .count(db)
        .await?)
}

fn condition(filter: &RegionFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(parent) = &filter.parent {
        condition = condition.add(region::Column::ParentCode.eq(parent.statistical()));
    }
    if let Some(level) = filter.level {
        condition = condition.add(region::Column::Level.eq(level.as_str()));
    }
    if let Some(fragment) = filter.name_contains.as_deref().filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(fragment));
        condition = condition
            .add(Expr::col(region::Column::Name).like(LikeExpr::new(pattern).escape('\\')));
    }
    condition
}

// `%` and `_` in a user's text are literal characters, not wildcards.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn to_division(row: region::Model) -> Result<Division, StoreError> {
    let code =
        RegionCode::from_statistical(&row.code).map_err(|e| StoreError::Data(e.to_string()))?;
    let level = RegionLevel::parse(&row.level).ok_or_else(|| {
        StoreError::Data(format!(
            "region {} has unknown level {}",
            row.code, row.level
        ))
    })?;
    let parent = row
        .parent_code
        .as_deref()
        .map(RegionCode::from_statistical)
        .transpose()
        .map_err(|e| StoreError::Data(e.to_string()))?;
    Ok(Division {
        code,
        name: row.name,
        level,
        parent,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_user_text_are_escaped() {
        assert_eq!(super::escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
