//! The `village_rollup` table: each source replaces its whole row set for a village at
//! once (delete, then insert), so writing the same counts twice leaves the same rows, and
//! a count that has become zero disappears instead of lingering.

use chrono::{DateTime, Utc};
use entities::village_rollup;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::store::StoreError;

/// Who computes a set of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The resident index, after each synchronisation of the village.
    Population,
    /// Open alerts, after each screening of the village.
    Alerts,
    /// The departments' coverage of its residents, after each screening of the village.
    Coverage,
    /// Service requests, after each change of one of the village's requests.
    Requests,
    /// Visits, after each visit recorded in the village.
    Visits,
    /// Ratings of resolved requests, after each rating given in the village.
    Satisfaction,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Population => "population",
            Self::Alerts => "alerts",
            Self::Coverage => "coverage",
            Self::Requests => "requests",
            Self::Visits => "visits",
            Self::Satisfaction => "satisfaction",
        }
    }
}

/// One count: `metric` in `period` (`YYYY-MM`, or empty for the current state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub metric: String,
    pub period: String,
    pub value: i64,
}

impl Count {
    pub fn now(metric: impl Into<String>, value: i64) -> Self {
        Self {
            metric: metric.into(),
            period: String::new(),
            value,
        }
    }

    pub fn in_month(metric: impl Into<String>, period: impl Into<String>, value: i64) -> Self {
        Self {
            metric: metric.into(),
            period: period.into(),
            value,
        }
    }
}

/// Replaces `source`'s rows of `village` with `counts` (zeros are left out). Run inside
/// the transaction that changed what is counted.
pub async fn replace(
    db: &impl ConnectionTrait,
    village: &str,
    source: Source,
    counts: &[Count],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    village_rollup::Entity::delete_many()
        .filter(village_rollup::Column::VillageCode.eq(village))
        .filter(village_rollup::Column::Source.eq(source.as_str()))
        .exec(db)
        .await?;
    let rows: Vec<village_rollup::ActiveModel> = counts
        .iter()
        .filter(|c| c.value != 0)
        .map(|c| village_rollup::ActiveModel {
            village_code: Set(village.to_owned()),
            source: Set(source.as_str().to_owned()),
            metric: Set(c.metric.clone()),
            period: Set(c.period.clone()),
            value: Set(c.value),
            computed_at: Set(now),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    village_rollup::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Every stored count, as `(village, source, metric, period, value, computed_at)`.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<village_rollup::Model>, StoreError> {
    Ok(village_rollup::Entity::find().all(db).await?)
}
