//! The access log, for the `auditor` (and `admin`) role: read-only, filtered, paged.
//! There is no mutation of the log anywhere in the API, and every read of it is itself
//! recorded (`audit.read`) before the page is returned.

mod types;

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, connection::PageInfo};
use chrono::{DateTime, Utc};

pub use types::AuditRecord;

use crate::{
    audit::{
        AuditEvent,
        query::{self, LogFilter, LogOrder},
    },
    error::{AppError, ErrorCode, ResultExt},
    graphql::{
        context::ContextExt,
        doors,
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
    },
};

/// The query of the access log.
#[derive(Default)]
pub struct AuditLogQuery;

#[Object]
impl AuditLogQuery {
    /// The access log: every read of personal data, granted or refused, as a hash-chained
    /// record. For the `auditor` and `admin` roles only (`FORBIDDEN` for every other role,
    /// `UNAUTHENTICATED` without a token). Read-only: no mutation changes or deletes a
    /// record, and this read is itself recorded in the log (action `audit.read`).
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the records must meet; all of them, when several are given.")]
        filter: Option<AuditLogFilter>,
        #[graphql(desc = "Which end of the log the list starts from (default: the newest).")]
        order: Option<AuditLogOrder>,
        #[graphql(
            desc = "How many records to return (default 20, at most the configured page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the records after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<AuditRecordConnection> {
        let request = doors::audit_reader(ctx)?;
        let services = ctx.services()?;
        let order: LogOrder = order.unwrap_or_default().into();
        let kind = cursor_kind(order);
        let limit = page_size(first, &services.limits).or_graphql()?;
        let after = after
            .as_deref()
            .map(|c| {
                decode_cursor(kind, c)
                    .and_then(|id| id.parse::<i64>().map_err(|_| AppError::InvalidCursor))
            })
            .transpose()
            .or_graphql()?;
        let filter: LogFilter = filter.unwrap_or_default().into();
        let (records, has_next) = query::page(&services.db, &filter, order, after, limit)
            .await
            .or_graphql()?;
        // Recorded before the page leaves: an auditor's reading is itself accountable.
        let event =
            AuditEvent::audit_read(&request.caller.actor(), &filter.describe(), records.len());
        if services.audit.record(vec![event]).await.is_err() {
            return Err(async_graphql::Error::new(
                "the access could not be recorded, so the log is not returned; try again",
            )
            .extend_with(|_, ext| ext.set("code", ErrorCode::AuditUnavailable.as_str())));
        }
        let cursor = |id: i64| encode_cursor(kind, &id.to_string());
        Ok(AuditRecordConnection {
            page_info: PageInfo {
                has_previous_page: after.is_some(),
                has_next_page: has_next,
                start_cursor: records.first().map(|r| cursor(r.id)),
                end_cursor: records.last().map(|r| cursor(r.id)),
            },
            edges: records
                .into_iter()
                .map(|record| AuditRecordEdge {
                    cursor: cursor(record.id),
                    node: AuditRecord::from(record),
                })
                .collect(),
            total: Box::new(move |ctx| {
                let filter = filter.clone();
                let db = ctx.services().map(|s| s.db.clone());
                Box::pin(async move { query::count(&db?, &filter).await.or_graphql() })
            }),
        })
    }
}

// The order is part of the cursor, so a cursor of one order is not replayed in the other.
fn cursor_kind(order: LogOrder) -> &'static str {
    match order {
        LogOrder::NewestFirst => "audit-newest",
        LogOrder::OldestFirst => "audit-oldest",
    }
}

crate::connection_types!(
    AuditRecordConnection,
    AuditRecordEdge,
    AuditRecord,
    "audit records",
    "A page of the access log (a Relay connection).",
    "A record of the access log in a page, with its cursor."
);

/// Conditions on the records of the access log.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Records of this subject (the `sub` of the caller's token).
    pub subject: Option<String>,
    /// Records of callers with this role, e.g. `village_assistant`.
    pub role: Option<String>,
    /// Records of this action, e.g. `resident.read` or `audit.read`.
    pub action: Option<String>,
    /// Records about this target: a resident id, a household number, or a lookup key.
    pub target: Option<String>,
    /// Records with this outcome: `granted`, `not_found`, `out_of_scope`, `refused` (any
    /// reason) or `refused:REASON`.
    pub outcome: Option<String>,
    /// Records written at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Records written before this time.
    pub until: Option<DateTime<Utc>>,
}

impl From<AuditLogFilter> for LogFilter {
    fn from(filter: AuditLogFilter) -> Self {
        Self {
            subject: filter.subject,
            role: filter.role,
            action: filter.action,
            target: filter.target,
            outcome: filter.outcome,
            from: filter.from,
            until: filter.until,
        }
    }
}

/// The order of the access log.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditLogOrder {
    /// The newest record first.
    #[default]
    NewestFirst,
    /// The oldest record first, in the order of the chain.
    OldestFirst,
}

impl From<AuditLogOrder> for LogOrder {
    fn from(order: AuditLogOrder) -> Self {
        match order {
            AuditLogOrder::NewestFirst => Self::NewestFirst,
            AuditLogOrder::OldestFirst => Self::OldestFirst,
        }
    }
}
