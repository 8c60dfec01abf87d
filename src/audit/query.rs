//! Reading the access log, for the auditor: filtered, in id order either way, in pages.
//! There is no function here that changes a record.

use chrono::{DateTime, Utc};
use entities::audit_record;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::store::StoreError;

/// Conditions on the records a page returns; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub subject: Option<String>,
    pub role: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// `granted`, `not_found`, `out_of_scope`, or `refused` (any reason) / `refused:REASON`.
    pub outcome: Option<String>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub until: Option<DateTime<Utc>>,
}

impl LogFilter {
    /// The filter as one line, for the audit record of the read itself.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("subject", &self.subject),
            ("role", &self.role),
            ("action", &self.action),
            ("target", &self.target),
            ("outcome", &self.outcome),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name}={value}"));
            }
        }
        if let Some(from) = self.from {
            parts.push(format!("from={}", from.to_rfc3339()));
        }
        if let Some(until) = self.until {
            parts.push(format!("until={}", until.to_rfc3339()));
        }
        format!("audit_log:{}", parts.join(","))
    }

    fn apply(&self, select: Select<audit_record::Entity>) -> Select<audit_record::Entity> {
        use audit_record::Column;
        let mut condition = Condition::all();
        for (column, value) in [
            (Column::Subject, &self.subject),
            (Column::Role, &self.role),
            (Column::Action, &self.action),
            (Column::Target, &self.target),
        ] {
            if let Some(value) = value {
                condition = condition.add(column.eq(value.clone()));
            }
        }
        if let Some(outcome) = &self.outcome {
            condition = condition.add(
                Condition::any()
                    .add(Column::Outcome.eq(outcome.clone()))
                    .add(Column::Outcome.starts_with(format!("{outcome}:"))),
            );
        }
        if let Some(from) = self.from {
            condition = condition.add(Column::RecordedAt.gte(from));
        }
        if let Some(until) = self.until {
            condition = condition.add(Column::RecordedAt.lt(until));
        }
        select.filter(condition)
    }
}

/// Which end of the log a page starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// One page of records after the record `after` (in `order`), and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &LogFilter,
    order: LogOrder,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<audit_record::Model>, bool), StoreError> {
    use audit_record::Column;
    let mut select = filter.apply(audit_record::Entity::find());
    select = match (order, after) {
        (LogOrder::NewestFirst, Some(after)) => select.filter(Column::Id.lt(after)),
        (LogOrder::OldestFirst, Some(after)) => select.filter(Column::Id.gt(after)),
        (_, None) => select,
    };
    select = match order {
        LogOrder::NewestFirst => select.order_by_desc(Column::Id),
        LogOrder::OldestFirst => select.order_by_asc(Column::Id),
    };
    let mut records = select.limit(limit + 1).all(db).await?;
    let more = records.len() as u64 > limit;
    records.truncate(limit as usize);
    Ok((records, more))
}

/// How many records match `filter`.
pub async fn count(db: &impl ConnectionTrait, filter: &LogFilter) -> Result<u64, StoreError> {
    Ok(filter.apply(audit_record::Entity::find()).count(db).await?)
}
