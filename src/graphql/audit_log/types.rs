//! One record of the access log as the auditor reads it.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use entities::audit_record;

/// One record of the access log: who read whose data, why, and with what outcome.
#[derive(SimpleObject)]
pub struct AuditRecord {
    /// The record's place in the chain, consecutive from 1.
    pub id: ID,
    /// When the access happened.
    pub recorded_at: DateTime<Utc>,
    /// The request that made the access (the `X-Request-Id` of its response).
    pub request_id: String,
    /// The caller: the `sub` of the token, or `anonymous`.
    pub subject: String,
    /// The caller's role.
    pub role: String,
    /// The caller's region scope.
    pub region: String,
    /// The declared purpose of the access, if any.
    pub purpose: Option<String>,
    /// The case reference sent with the access, if any.
    pub case_ref: Option<String>,
    /// What was done, e.g. `resident.read`, `residents.list` or `audit.read`.
    pub action: String,
    /// Whose data: a resident id, a household number, a lookup key, or empty.
    pub target: String,
    /// The departments the data came from.
    pub departments: Vec<String>,
    /// The field groups read (or, for lists, the count).
    pub field_groups: Vec<String>,
    /// `granted`, `not_found`, `out_of_scope` or `refused:REASON`.
    pub outcome: String,
    /// The record's hash in the chain (SHA-256, hex).
    pub hash: String,
}

fn list(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl From<audit_record::Model> for AuditRecord {
    fn from(record: audit_record::Model) -> Self {
        Self {
            id: ID(record.id.to_string()),
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
