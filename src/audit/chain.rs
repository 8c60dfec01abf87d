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
        let fields = (
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
        );
        // The array's compact JSON, written straight into the digest rather than built
        // as a value and a string first: the same bytes, without a copy of each field.
        // Neither a digest nor numbers and strings can fail to be written.
        let mut digest = Sha256::new();
        let _ = serde_json::to_writer(&mut digest, &fields);
        hex::encode(digest.finalize())
    }
}

/// Timestamps are hashed at microsecond precision, which both databases keep.
pub fn timestamp_text(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The preimage is the JSON array of the fields, as records already in a chain were
    /// hashed: a new serialisation must give the very same bytes.
    #[test]
    fn the_hash_is_that_of_the_fields_json_array() {
        let texts = [
            "220122199001011234",
            "quote \" backslash \\ slash /",
            "tab\t newline\n nul\u{0} bell\u{7} del\u{7f}",
            "王 𠀀 — \u{2028}\u{2029} emoji 🙂",
            "",
        ];
        for (n, text) in texts.iter().enumerate() {
            for (purpose, case_ref) in [(None, Some(*text)), (Some(*text), None)] {
                let record = Hashed {
                    id: i64::MAX - n as i64,
                    recorded_at: "2026-12-02T10:42:31.123456Z",
                    request_id: text,
                    subject: text,
                    role: "village_assistant",
                    region: "220122101201",
                    purpose,
                    case_ref,
                    action: "resident.read",
                    target: text,
                    departments: "social_security,civil_affairs",
                    field_groups: text,
                    outcome: "refused:out_of_scope",
                    prev_hash: GENESIS,
                };
                let canonical = serde_json::json!([
                    record.id,
                    record.recorded_at,
                    record.request_id,
                    record.subject,
                    record.role,
                    record.region,
                    record.purpose,
                    record.case_ref,
                    record.action,
                    record.target,
                    record.departments,
                    record.field_groups,
                    record.outcome,
                    record.prev_hash,
                ]);
                assert_eq!(
                    record.hash(),
                    hex::encode(Sha256::digest(canonical.to_string().as_bytes())),
                    "{text:?}"
                );
            }
        }
    }
}
