//! One record of the access log as the auditor reads it.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};

use crate::audit::AuditEntry;

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

impl From<AuditEntry> for AuditRecord {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: ID(entry.id.to_string()),
            recorded_at: entry.recorded_at,
            request_id: entry.request_id,
            subject: entry.subject,
            role: entry.role,
            region: entry.region,
            purpose: entry.purpose,
            case_ref: entry.case_ref,
            action: entry.action,
            target: entry.target,
            departments: entry.departments,
            field_groups: entry.field_groups,
            outcome: entry.outcome,
            hash: entry.hash,
        }
    }
}
