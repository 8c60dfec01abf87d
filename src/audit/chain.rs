//! The hash of one record: SHA-256 over its id, content and the previous record's hash,
//! serialised unambiguously (a JSON array), so no two records can share a preimage.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a record as they are hashed. Public so that verification tools (and
/// tests forging a recomputed chain) hash exactly as the writer does.
pub struct Hashed<'a> {
    pub id: i64,
    pub recorded_at: &'a str,
    pub request_id: &'a str,
    pub subject: &'a str,
    pub role: &'a str,
    pub region: &'a str,
    pub purpose: Option<&'a str>,
    pub case_ref: Option<&'a str>,
    pub action: &'a str,
    pub target: &'a str,
    pub departments: &'a str,
    pub field_groups: &'a str,
    pub outcome: &'a str,
    pub prev_hash: &'a str,
}

impl Hashed<'_> {
    /// The record's hash, hex.
    pub fn hash(&self) -> String {
        let canonical = serde_json::json!([
            self.id,
            self.recorded_at,
            self.request_id,
            self.subject,
            self.role,
            self.region,
            self.purpose,
            self.case_ref,
            self.action,
            self.target,
            self.departments,
            self.field_groups,
            self.outcome,
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// Timestamps are hashed at microsecond precision, which both databases keep.
pub fn timestamp_text(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
