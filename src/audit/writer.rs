//! One writer task per process appends records in batches (group commit): callers wait
//! for their batch to be committed. The log is one chain for the whole hub, however many
//! instances write it: each batch is one transaction that first takes the chain's
//! advisory lock (PostgreSQL; released by the commit), then reads the head and appends
//! after it. Instances therefore take turns per batch instead of racing for the next id,
//! so none is refused and the chain never forks; a batch waits at most for the other
//! instances' batches in front of it. On SQLite the process is the only writer and the
//! lock is granted at once.
//!
//! On SQLite a batch is a single INSERT after the head the writer remembers: one round
//! trip to the database per batch.
//!
//! A batch that fails (the database away) is tried again on a fresh head a few times;
//! only then are its callers told the log is unavailable.

use chrono::{DateTime, SubsecRound, Utc};
use entities::audit_record;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    AuditError, AuditEvent,
    chain::{GENESIS, Hashed, timestamp_text},
};
use crate::store::coordination::lock_for_transaction;

const MAX_BATCH: usize = 512;
const ATTEMPTS: usize = 3;

/// The advisory lock that serialises appends to the chain across instances; checkpoints
/// take it too, so that the head they sign is not moving under them.
pub(super) const CHAIN_LOCK: &str = "cunhub.audit.chain";

type Job = (Vec<AuditEvent>, oneshot::Sender<Result<(), AuditError>>);

/// A handle to the audit writer; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    jobs: mpsc::Sender<Job>,
}

impl AuditLog {
    /// Starts the writer task on the current runtime.
    pub fn spawn(db: DatabaseConnection) -> Self {
        let (jobs, receiver) = mpsc::channel(4096);
        tokio::spawn(run(db, receiver));
        Self { jobs }
    }

    /// Appends `events` and returns once they are committed.
    pub async fn record(&self, events: Vec<AuditEvent>) -> Result<(), AuditError> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.jobs
            .send((events, done))
            .await
            .map_err(|_| AuditError::Unavailable)?;
        wait.await.map_err(|_| AuditError::Unavailable)?
    }
}

async fn run(db: DatabaseConnection, mut receiver: mpsc::Receiver<Job>) {
    // SQLite: the head this process wrote last, so that a batch is one statement.
    let mut known_head: Option<Head> = None;
    while let Some(first) = receiver.recv().await {
        let mut jobs = vec![first];
        let mut count = jobs[0].0.len();
        while count < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => {
                    count += job.0.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let events: Vec<&AuditEvent> = jobs.iter().flat_map(|(events, _)| events.iter()).collect();
        let mut result = Err(AuditError::Unavailable);
        for attempt in 1..=ATTEMPTS {
            match write(&db, &events, &mut known_head).await {
                Ok(()) => {
                    result = Ok(());
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, attempt, "audit batch not written; retrying on a fresh head");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt as u64)).await;
                }
            }
        }
        if result.is_err() {
            tracing::error!(
                records = events.len(),
                "audit log unavailable: records not written"
            );
        }
        for (_, done) in jobs {
            let _ = done.send(result.clone());
        }
    }
}

/// The last record of the chain: its id and hash.
type Head = (i64, String);

async fn write(
    db: &DatabaseConnection,
    events: &[&AuditEvent],
    known_head: &mut Option<Head>,
) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        // One INSERT is atomic on its own, so a batch is one statement after the head this
        // process wrote last. Should another process have appended since (a command run
        // beside the server), the first id is taken: the primary key refuses the batch and
        // it is written again on the head read afresh. (`take` forgets the head on failure.)
        let head = match known_head.take() {
            Some(head) => head,
            None => read_head(db).await?,
        };
        let (rows, head) = chained(events, head);
        audit_record::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        *known_head = Some(head);
        return Ok(());
    }
    let txn = db.begin().await?;
    lock_for_transaction(&txn, CHAIN_LOCK).await?;
    let head = read_head(&txn).await?;
    let (rows, _) = chained(events, head);
    for chunk in rows.chunks(200) {
        audit_record::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}

/// The rows of `events` appended after `head`, each hashed over the one before, and the
/// chain's new head.
fn chained(events: &[&AuditEvent], head: Head) -> (Vec<audit_record::ActiveModel>, Head) {
    let (mut id, mut prev_hash) = head;
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        id += 1;
        let at: DateTime<Utc> = event.at.trunc_subsecs(6);
        let recorded_at = timestamp_text(&at);
        let departments = event.departments.join(",");
        let field_groups = event.field_groups.join(",");
        let outcome = event.outcome.as_string();
        let hash = Hashed {
            id,
            recorded_at: &recorded_at,
            request_id: &event.actor.request_id,
            subject: &event.actor.subject,
            role: &event.actor.role,
            region: &event.actor.region,
            purpose: event.actor.purpose.as_deref(),
            case_ref: event.actor.case_ref.as_deref(),
            action: event.action,
            target: &event.target,
            departments: &departments,
            field_groups: &field_groups,
            outcome: &outcome,
            prev_hash: &prev_hash,
        }
        .hash();
        rows.push(audit_record::ActiveModel {
            id: Set(id),
            recorded_at: Set(at),
            request_id: Set(event.actor.request_id.clone()),
            subject: Set(event.actor.subject.clone()),
            role: Set(event.actor.role.clone()),
            region: Set(event.actor.region.clone()),
            purpose: Set(event.actor.purpose.clone()),
            case_ref: Set(event.actor.case_ref.clone()),
            action: Set(event.action.to_owned()),
            target: Set(event.target.clone()),
            departments: Set(departments),
            field_groups: Set(field_groups),
            outcome: Set(outcome),
            prev_hash: Set(prev_hash),
            hash: Set(hash.clone()),
        });
        prev_hash = hash;
    }
    (rows, (id, prev_hash))
}

async fn read_head(db: &impl ConnectionTrait) -> Result<(i64, String), sea_orm::DbErr> {
    let last = audit_record::Entity::find()
        .order_by_desc(audit_record::Column::Id)
        .one(db)
        .await?;
    Ok(last
        .map(|r| (r.id, r.hash))
        .unwrap_or_else(|| (0, GENESIS.to_owned())))
}
