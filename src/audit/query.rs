//! Reading the access log, for the auditor: filtered, in id order either way, in pages.
//! There is no function here that changes a record.

use chrono::{DateTime, Utc};
use entities::audit_record;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::store::StoreError;

/// One record of the access log as it is read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The record's place in the chain, consecutive from 1.
    pub id: i64,
    pub recorded_at: DateTime<Utc>,
    pub request_id: String,
    pub subject: String,
    pub role: String,
    pub region: String,
    pub purpose: Option<String>,
    pub case_ref: Option<String>,
    pub action: String,
    pub target: String,
    pub departments: Vec<String>,
    pub field_groups: Vec<String>,
    /// `granted`, `not_found`, `out_of_scope` or `refused:REASON`.
    pub outcome: String,
    /// The record's hash in the chain (SHA-256, hex).
    pub hash: String,
}

impl From<audit_record::Model> for AuditEntry {
    fn from(record: audit_record::Model) -> Self {
        Self {
            id: record.id,
            recorded_at: record.recorded_at,
            departments: list(&record.departments),
            field_groups: list(&record.field_groups),
            request_id: record.request_id,
            subject: record.subject,
            role: record.role,
            region: record.region,
            purpose: record.purpose,
            case_ref: record.case_ref,
            action: record.action,
            target: record.target,
            outcome: record.outcome,
            hash: record.hash,
        }
    }
}

// The table keeps lists comma-separated.
fn list(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

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
) -> Result<(Vec<AuditEntry>, bool), StoreError> {
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
    Ok((records.into_iter().map(AuditEntry::from).collect(), more))
}

/// How many records match `filter`.
pub async fn count(db: &impl ConnectionTrait, filter: &LogFilter) -> Result<u64, StoreError> {
    Ok(filter.apply(audit_record::Entity::find()).count(db).await?)
}
