//! Walks the chain in id order and names the first broken link: an edited record (its
//! hash no longer matches), a deleted one (a gap, or a link to the wrong hash) or
//! reordered ones. Then checks every checkpoint against the chain: a signed head that no
//! longer exists (the newest records were deleted) or whose hash differs (the chain was
//! recomputed), and, with the key, every checkpoint's MAC.

use entities::{audit_checkpoint, audit_record};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    CheckpointKey, CheckpointKeyring,
    chain::{GENESIS, Hashed, timestamp_text},
    checkpoint::checkpoint_message,
};
use crate::store::StoreError;

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records whose links verify, from the first.
    pub records: u64,
    pub broken: Option<BrokenLink>,
    /// Checkpoints that verify against the chain.
    pub checkpoints: u64,
    /// Whether the checkpoints' MACs were checked (a key was given).
    pub macs_checked: bool,
    /// The head record the newest verified checkpoint signed.
    pub newest_signed_head: Option<i64>,
}

impl VerifyReport {
    /// Records after the newest checkpoint: intact as a chain, but not yet covered by a
    /// signature, so a truncation among them would not be seen.
    pub fn unsigned_records(&self) -> u64 {
        let signed = self.newest_signed_head.unwrap_or(0).max(0) as u64;
        self.records.saturating_sub(signed)
    }
}

/// The first record (or checkpoint) at which the log does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The record id: the first bad record, or the head a bad checkpoint signed.
    pub id: i64,
    pub reason: String,
    /// The checkpoint that failed, when the chain itself holds.
    pub checkpoint: Option<i64>,
}

const PAGE: u64 = 2_000;

/// Verifies the chain and the checkpoints' heads, without their MACs (no key at hand).
pub async fn verify(db: &impl ConnectionTrait) -> Result<VerifyReport, StoreError> {
    verify_inner(db, None).await
}

/// Verifies the chain, the checkpoints' heads and their MACs under `key`.
pub async fn verify_with_key(
    db: &impl ConnectionTrait,
    key: &CheckpointKey,
) -> Result<VerifyReport, StoreError> {
    verify_inner(db, Some(&CheckpointKeyring::single(key.clone()))).await
}

/// Verifies the chain, the checkpoints' heads and their MACs, each under the key of the
/// version it was signed with: the current key or a retired one still listed.
pub async fn verify_with_keys(
    db: &impl ConnectionTrait,
    keys: &CheckpointKeyring,
) -> Result<VerifyReport, StoreError> {
    verify_inner(db, Some(keys)).await
}

async fn verify_inner(
    db: &impl ConnectionTrait,
    key: Option<&CheckpointKeyring>,
) -> Result<VerifyReport, StoreError> {
    let mut report = verify_chain(db).await?;
    report.macs_checked = key.is_some();
    if report.broken.is_none() {
        verify_checkpoints(db, key, &mut report).await?;
    }
    Ok(report)
}

async fn verify_chain(db: &impl ConnectionTrait) -> Result<VerifyReport, StoreError> {
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
                checkpoints: 0,
                macs_checked: false,
                newest_signed_head: None,
            });
        }
        for record in page {
            let broken = |reason: String| {
                Ok(VerifyReport {
                    records,
                    broken: Some(BrokenLink {
                        id: record.id,
                        reason,
                        checkpoint: None,
                    }),
                    checkpoints: 0,
                    macs_checked: false,
                    newest_signed_head: None,
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

/// Checks every checkpoint, in id order, against the intact chain of `report.records`
/// records; the first failure is recorded in `report.broken`.
async fn verify_checkpoints(
    db: &impl ConnectionTrait,
    key: Option<&CheckpointKeyring>,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    let last_record = report.records as i64;
    let mut expected_id = 1_i64;
    let mut previous_head = 0_i64;
    loop {
        let page = audit_checkpoint::Entity::find()
            .filter(audit_checkpoint::Column::Id.gte(expected_id))
            .order_by_asc(audit_checkpoint::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        if page.is_empty() {
            return Ok(());
        }
        let heads: Vec<i64> = page.iter().map(|c| c.head_id).collect();
        let hashes: std::collections::HashMap<i64, String> = audit_record::Entity::find()
            .filter(audit_record::Column::Id.is_in(heads))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id, r.hash))
            .collect();
        for checkpoint in page {
            let failure = check_one(
                &checkpoint,
                key,
                expected_id,
                previous_head,
                last_record,
                hashes.get(&checkpoint.head_id),
            );
            if let Some(reason) = failure {
                report.broken = Some(BrokenLink {
                    id: checkpoint.head_id,
                    reason,
                    checkpoint: Some(checkpoint.id),
                });
                return Ok(());
            }
            report.checkpoints += 1;
            report.newest_signed_head = Some(checkpoint.head_id);
            previous_head = checkpoint.head_id;
            expected_id = checkpoint.id + 1;
        }
    }
}

/// Why one checkpoint fails, if it does.
fn check_one(
    checkpoint: &audit_checkpoint::Model,
    keys: Option<&CheckpointKeyring>,
    expected_id: i64,
    previous_head: i64,
    last_record: i64,
    record_hash: Option<&String>,
) -> Option<String> {
    let id = checkpoint.id;
    let head = checkpoint.head_id;
    if id != expected_id {
        return Some(format!(
            "checkpoints {expected_id} to {} are missing",
            id - 1
        ));
    }
    if let Some(keys) = keys {
        let Some(key) = u32::try_from(checkpoint.key_version)
            .ok()
            .and_then(|v| keys.get(v))
        else {
            return Some(format!(
                "checkpoint {id} is signed with key version {}, which has no key (the current key is version {}; list a retired key in audit.retired_checkpoint_keys)",
                checkpoint.key_version,
                keys.current().version()
            ));
        };
        let message = checkpoint_message(
            id,
            head,
            &checkpoint.head_hash,
            &checkpoint.signed_at,
            checkpoint.key_version,
        );
        if !key.verify(&message, &checkpoint.mac) {
            return Some(format!(
                "checkpoint {id}'s signature does not verify (forged or edited checkpoint, or another key)"
            ));
        }
    }
    if head < previous_head {
        return Some(format!(
            "checkpoint {id} signs record {head}, behind the checkpoint before it"
        ));
    }
    if head > last_record {
        return Some(format!(
            "checkpoint {id} signed record {head}, but the log ends at record {last_record}: the newest records were deleted"
        ));
    }
    match record_hash {
        Some(hash) if *hash == checkpoint.head_hash => None,
        _ => Some(format!(
            "record {head} no longer has the hash checkpoint {id} signed: the chain was rewritten"
        )),
    }
}
