//! One writer task per process appends records in batches (group commit): callers wait
//! for their batch to be committed. The next id is the head's id plus one; a concurrent
//! writer (another instance) that took the id first makes the insert fail on the primary
//! key, and the batch is retried on the new head, so the chain never forks.

use chrono::{DateTime, SubsecRound, Utc};
use entities::audit_record;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, QueryOrder, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::{
    AuditError, AuditEvent,
    chain::{GENESIS, Hashed, timestamp_text},
};

const MAX_BATCH: usize = 512;
const ATTEMPTS: usize = 3;

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
    let mut head: Option<(i64, String)> = None;
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
        for _ in 0..ATTEMPTS {
            match write(&db, &mut head, &events).await {
                Ok(()) => {
                    result = Ok(());
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "audit batch not written; retrying on a fresh head");
                    head = None;
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

async fn write(
    db: &DatabaseConnection,
    head: &mut Option<(i64, String)>,
    events: &[&AuditEvent],
) -> Result<(), sea_orm::DbErr> {
    let (mut id, mut prev_hash) = match head.take() {
        Some(known) => known,
        None => read_head(db).await?,
    };
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
            prev_hash: Set(prev_hash.clone()),
            hash: Set(hash.clone()),
        });
        prev_hash = hash;
    }
    let txn = db.begin().await?;
    for chunk in rows.chunks(200) {
        audit_record::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    *head = Some((id, prev_hash));
    Ok(())
}

async fn read_head(db: &DatabaseConnection) -> Result<(i64, String), sea_orm::DbErr> {
    let last = audit_record::Entity::find()
        .order_by_desc(audit_record::Column::Id)
        .one(db)
        .await?;
    Ok(last
        .map(|r| (r.id, r.hash))
        .unwrap_or_else(|| (0, GENESIS.to_owned())))
}
