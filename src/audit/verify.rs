//! Walks the chain in id order and names the first broken link: an edited record (its
//! hash no longer matches), a deleted one (a gap, or a link to the wrong hash) or
//! reordered ones.

use entities::audit_record;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::chain::{GENESIS, Hashed, timestamp_text};
use crate::store::StoreError;

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub broken: Option<BrokenLink>,
}

/// The first record at which the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub id: i64,
    pub reason: String,
}

const PAGE: u64 = 2_000;

pub async fn verify(db: &impl ConnectionTrait) -> Result<VerifyReport, StoreError> {
    let mut expected_id = 1_i64;
    let mut prev_hash = GENESIS.to_owned();
    let mut records = 0_u64;
    loop {
        let page = audit_record::Entity::find()
            .filter(audit_record::Column::Id.gte(expected_id))
            .order_by_asc(audit_record::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        if page.is_empty() {
            return Ok(VerifyReport {
                records,
                broken: None,
            });
        }
        for record in page {
            let broken = |reason: String| {
                Ok(VerifyReport {
                    records,
                    broken: Some(BrokenLink {
                        id: record.id,
                        reason,
                    }),
                })
            };
            if record.id != expected_id {
                return broken(format!(
                    "records {expected_id} to {} are missing",
                    record.id - 1
                ));
            }
            if record.prev_hash != prev_hash {
                return broken(
                    "it does not link to the record before it (deleted or reordered records)"
                        .into(),
                );
            }
            let recorded_at = timestamp_text(&record.recorded_at);
            let computed = Hashed {
                id: record.id,
                recorded_at: &recorded_at,
                request_id: &record.request_id,
                subject: &record.subject,
                role: &record.role,
                region: &record.region,
                purpose: record.purpose.as_deref(),
                case_ref: record.case_ref.as_deref(),
                action: &record.action,
                target: &record.target,
                departments: &record.departments,
                field_groups: &record.field_groups,
                outcome: &record.outcome,
                prev_hash: &record.prev_hash,
            }
            .hash();
            if computed != record.hash {
                return broken(
                    "its content does not match its hash (the record was edited)".into(),
                );
            }
            prev_hash = record.hash;
            expected_id += 1;
            records += 1;
        }
    }
}
