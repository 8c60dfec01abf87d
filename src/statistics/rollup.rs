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
    /// Alert follow-ups, after each one written in the village.
    AlertHandling,
    /// Ratings of resolved requests, after each rating given in the village.
    Satisfaction,
}

/// The month (`YYYY-MM`, Beijing time) a moment counts in: every source cuts its months
/// the same way, so a snapshot's twelve months hold the same days for all of them.
pub fn month_of(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::domain::CHINA)
        .format("%Y-%m")
        .to_string()
}

/// Metric prefixes of distributions: `PREFIX{n}` counts the values equal to `n` (days),
/// from which a snapshot takes medians; they are not published themselves.
pub const DAYS_TO_HANDLE: &str = "days_to_handle.";
/// Working days from opening a service request to its resolution.
pub const DAYS_TO_RESOLVE: &str = "working_days_to_resolve.";
/// Metric prefix of the day each resident of a key group was last visited as a member of
/// it (`last_visit.GROUP`, period `YYYY-MM-DD`): a snapshot turns them into "visited
/// within 30 / 90 days" on its own day, so the passing of time needs no rewrite.
pub const LAST_VISIT: &str = "last_visit.";

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Population => "population",
            Self::Alerts => "alerts",
            Self::Coverage => "coverage",
            Self::Requests => "requests",
            Self::Visits => "visits",
            Self::AlertHandling => "alert_handling",
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
