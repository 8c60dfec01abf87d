//! Checkpoints: the chain head (newest id and hash) signed with a key kept outside the
//! database. Editing one record breaks the chain; deleting the newest records or
//! recomputing every hash does not, but it contradicts a signed head, which nobody
//! without the key can re-sign.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, SubsecRound, Utc};
use entities::{audit_checkpoint, audit_record};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder,
    TransactionTrait,
};

use super::{CheckpointKey, chain::timestamp_text, writer::CHAIN_LOCK};
use crate::store::{
    StoreError,
    coordination::{Leadership, lock_for_transaction},
};

/// The bytes a checkpoint's MAC covers: its own id (so checkpoints cannot be renumbered),
/// the head, the time and the key version, serialised unambiguously.
pub fn checkpoint_message(
    id: i64,
    head_id: i64,
    head_hash: &str,
    signed_at: &DateTime<Utc>,
    key_version: i32,
) -> Vec<u8> {
    serde_json::json!([
        "cunhub.audit.checkpoint.v1",
        id,
        head_id,
        head_hash,
        timestamp_text(signed_at),
        key_version,
    ])
    .to_string()
    .into_bytes()
}

/// Signs the current chain head, unless the log is empty or the newest checkpoint
/// already covers it. Returns the new checkpoint. On PostgreSQL it holds the chain's lock
/// (as the writers do) for the while: the head cannot move under the signature, and two
/// instances signing at once take turns, the second finding the head already covered.
pub async fn sign_head(
    db: &DatabaseConnection,
    key: &CheckpointKey,
) -> Result<Option<audit_checkpoint::Model>, StoreError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        return sign_head_on(db, key).await;
    }
    let txn = db.begin().await?;
    lock_for_transaction(&txn, CHAIN_LOCK).await?;
    let signed = sign_head_on(&txn, key).await?;
    txn.commit().await?;
    Ok(signed)
}

async fn sign_head_on(
    db: &impl ConnectionTrait,
    key: &CheckpointKey,
) -> Result<Option<audit_checkpoint::Model>, StoreError> {
    let Some(head) = audit_record::Entity::find()
        .order_by_desc(audit_record::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let last = audit_checkpoint::Entity::find()
        .order_by_desc(audit_checkpoint::Column::Id)
        .one(db)
        .await?;
    if last.as_ref().is_some_and(|c| c.head_id == head.id) {
        return Ok(None);
    }
    let id = last.map_or(1, |c| c.id + 1);
    let signed_at = Utc::now().trunc_subsecs(6);
    let key_version = i32::try_from(key.version()).unwrap_or(i32::MAX);
    let mac = key.sign(&checkpoint_message(
        id,
        head.id,
        &head.hash,
        &signed_at,
        key_version,
    ));
    let model = audit_checkpoint::Model {
        id,
        head_id: head.id,
        head_hash: head.hash,
        signed_at,
        key_version,
        mac,
    };
    audit_checkpoint::Entity::insert(audit_checkpoint::ActiveModel {
        id: Set(model.id),
        head_id: Set(model.head_id),
        head_hash: Set(model.head_hash.clone()),
        signed_at: Set(model.signed_at),
        key_version: Set(model.key_version),
        mac: Set(model.mac.clone()),
    })
    .exec_without_returning(db)
    .await?;
    // The log line is a copy outside the database: deleting the newest checkpoints
    // together with the newest records is then visible against it.
    tracing::info!(
        checkpoint = model.id,
        head_id = model.head_id,
        head_hash = %model.head_hash,
        mac = %model.mac,
        "audit chain head signed"
    );
    Ok(Some(model))
}

/// Signs the head every `interval` until the process ends, on the instance that leads the
/// scheduled jobs.
pub fn spawn_checkpoints(
    db: DatabaseConnection,
    key: Arc<CheckpointKey>,
    interval: Duration,
    leadership: Leadership,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first signature is one interval after start: the shutdown of the previous
        // run signed the head it left.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !leadership.take_turn("audit_checkpoint") {
                continue;
            }
            if let Err(err) = sign_head(&db, &key).await {
                tracing::warn!(error = %err, "audit checkpoint not signed");
            }
        }
    })
}
