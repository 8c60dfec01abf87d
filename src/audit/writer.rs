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
//! trip to the database per batch. On a SQLite file the writer is a thread of its own
//! with a connection of its own: a batch written through the pool would travel from the
//! task to the connection's worker thread and back, two more wake-ups across threads on
//! the path of every response that carries personal data.
//!
//! On PostgreSQL the writer is likewise a thread of its own, with a runtime and a
//! connection of its own: on a connection of the pool, whose socket belongs to whichever
//! runtime opened it (often a busy server worker), each of a batch's five round trips
//! waited for that runtime to look at its sockets, and every response with personal data
//! waited behind them.
//!
//! A batch that fails (the database away) is tried again on a fresh head a few times;
//! only then are its callers told the log is unavailable.

use chrono::{DateTime, SubsecRound, Utc};
use entities::audit_record;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder,
    QuerySelect, QueryTrait, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    AuditError, AuditEvent,
    chain::{GENESIS, Hashed, timestamp_text},
};
use crate::store::{
    DatabaseSettings,
    coordination::lock_for_transaction,
    local::{self, LocalError, SqliteFile},
};

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

/// What the audit writer writes with.
pub enum WriterDatabase<'a> {
    /// The database's own SQLite file: a connection of the writer's thread.
    SqliteFile(&'a SqliteFile),
    /// A database server: a connection of the writer's own thread and runtime.
    Server(&'a DatabaseSettings),
    /// The pool, from a task on the current runtime (an in-memory database).
    Pool,
}

impl<'a> WriterDatabase<'a> {
    /// The writer's way to `db`, which `settings` opened; `file` when it is a SQLite file.
    pub fn of(
        db: &DatabaseConnection,
        file: Option<&'a SqliteFile>,
        settings: &'a DatabaseSettings,
    ) -> Self {
        match (file, db.get_database_backend()) {
            (Some(file), _) => Self::SqliteFile(file),
            (None, DbBackend::Postgres) => Self::Server(settings),
            (None, _) => Self::Pool,
        }
    }
}

impl AuditLog {
    /// Starts the writer as a task on the current runtime, writing through the pool.
    pub fn spawn(db: DatabaseConnection) -> Self {
        Self::start(db, WriterDatabase::Pool)
    }

    /// Starts the writer on `database`: a thread of its own with a connection of its own,
    /// or a task writing through the pool `db` (also the fallback when the connection or
    /// the thread cannot be had). The thread ends when the last handle is dropped.
    pub fn start(db: DatabaseConnection, database: WriterDatabase<'_>) -> Self {
        let (jobs, receiver) = mpsc::channel(4096);
        let started = match database {
            WriterDatabase::SqliteFile(file) => match file.open_for_writing() {
                Ok(connection) => writer_thread(move || run_on_thread(connection, receiver)),
                Err(err) => Err(err.to_string()),
            },
            WriterDatabase::Server(settings) => {
                let settings = DatabaseSettings {
                    max_connections: 1,
                    ..settings.clone()
                };
                let pool = db.clone();
                own_runtime().and_then(|runtime| {
                    writer_thread(move || {
                        runtime.block_on(async move {
                            let db = crate::store::connect(&settings).await.unwrap_or_else(|err| {
                                tracing::warn!(error = %err, "audit writer: writing through the pool");
                                pool
                            });
                            run(db, receiver).await;
                        });
                    })
                })
            }
            WriterDatabase::Pool => {
                tokio::spawn(run(db, receiver));
                return Self { jobs };
            }
        };
        match started {
            Ok(()) => Self { jobs },
            Err(err) => {
                tracing::warn!(error = %err, "audit writer: writing through the pool");
                Self::spawn(db)
            }
        }
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

fn writer_thread(body: impl FnOnce() + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new()
        .name("cunhub-audit".into())
        .spawn(body)
        .map(drop)
        .map_err(|err| err.to_string())
}

fn own_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())
}

async fn run(db: DatabaseConnection, mut receiver: mpsc::Receiver<Job>) {
    // SQLite: the head this process wrote last, so that a batch is one statement.
    let mut known_head: Option<Head> = None;
    while let Some(first) = receiver.recv().await {
        let jobs = batch(first, &mut receiver);
        let events = events_of(&jobs);
        let mut result = Err(AuditError::Unavailable);
        for attempt in 1..=ATTEMPTS {
            match write(&db, &events, &mut known_head).await {
                Ok(()) => {
                    result = Ok(());
                    break;
                }
                Err(err) => {
                    retrying(&err, attempt);
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        answer(jobs, result);
    }
}

/// [`run`] on a thread of its own, with its own connection to the SQLite file.
fn run_on_thread(connection: rusqlite::Connection, mut receiver: mpsc::Receiver<Job>) {
    let mut known_head: Option<Head> = None;
    while let Some(first) = receiver.blocking_recv() {
        let jobs = batch(first, &mut receiver);
        let events = events_of(&jobs);
        let mut result = Err(AuditError::Unavailable);
        for attempt in 1..=ATTEMPTS {
            match write_here(&connection, &events, &mut known_head) {
                Ok(()) => {
                    result = Ok(());
                    break;
                }
                Err(err) => {
                    retrying(&err, attempt);
                    std::thread::sleep(backoff(attempt));
                }
            }
        }
        answer(jobs, result);
    }
}

/// `first` and the jobs waiting behind it, up to a batch.
fn batch(first: Job, receiver: &mut mpsc::Receiver<Job>) -> Vec<Job> {
    let mut count = first.0.len();
    let mut jobs = vec![first];
    while count < MAX_BATCH {
        match receiver.try_recv() {
            Ok(job) => {
                count += job.0.len();
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
    jobs
}

fn events_of(jobs: &[Job]) -> Vec<&AuditEvent> {
    jobs.iter().flat_map(|(events, _)| events.iter()).collect()
}

fn retrying(err: &dyn std::fmt::Display, attempt: usize) {
    tracing::warn!(error = %err, attempt, "audit batch not written; retrying on a fresh head");
}

fn backoff(attempt: usize) -> std::time::Duration {
    std::time::Duration::from_millis(50 * attempt as u64)
}

/// Tells each job's caller how its batch ended.
fn answer(jobs: Vec<Job>, result: Result<(), AuditError>) {
    if result.is_err() {
        let records: usize = jobs.iter().map(|(events, _)| events.len()).sum();
        tracing::error!(records, "audit log unavailable: records not written");
    }
    for (_, done) in jobs {
        let _ = done.send(result.clone());
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
    let mut rows = rows.into_iter();
    for count in statement_sizes(events) {
        audit_record::Entity::insert_many(rows.by_ref().take(count))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}

/// The most a batch's INSERT carries in one statement on PostgreSQL, in bytes of values.
/// A statement larger than one TLS record (16 KiB) leaves in several writes, and the
/// driver does not turn off Nagle's algorithm on its socket: the second write then waits
/// for the server's delayed acknowledgement of the first, 40 ms, and every caller of the
/// batch with it. Statements of one record each cost a round trip apiece instead.
const STATEMENT_BYTES: usize = 12 * 1024;

/// How many of `events` each INSERT of a batch takes, in order, so that each stays within
/// [`STATEMENT_BYTES`] (and takes at least one record).
fn statement_sizes(events: &[&AuditEvent]) -> Vec<usize> {
    let mut sizes = Vec::new();
    let (mut count, mut bytes) = (0, 0);
    for event in events {
        let len = wire_len(event);
        if count > 0 && bytes + len > STATEMENT_BYTES {
            sizes.push(count);
            (count, bytes) = (0, 0);
        }
        count += 1;
        bytes += len;
    }
    if count > 0 {
        sizes.push(count);
    }
    sizes
}

/// What one record adds to an INSERT's parameters, near enough: its text, its id and
/// time, the two hashes, and the four-byte length before each of its fifteen values.
fn wire_len(event: &AuditEvent) -> usize {
    const HASHES: usize = 2 * 64;
    const NUMBERS: usize = 2 * 8;
    const LENGTHS: usize = 15 * 4;
    const OUTCOME: usize = "out_of_scope".len() + "refused:".len();
    let actor = &event.actor;
    let optional = |text: &Option<String>| text.as_ref().map_or(0, String::len);
    let listed = |items: &[String]| items.iter().map(|item| item.len() + 1).sum::<usize>();
    let reason = match &event.outcome {
        super::Outcome::Refused(reason) => reason.len(),
        _ => 0,
    };
    actor.subject.len()
        + actor.role.len()
        + actor.region.len()
        + actor.request_id.len()
        + optional(&actor.purpose)
        + optional(&actor.case_ref)
        + event.action.len()
        + event.target.len()
        + listed(&event.departments)
        + listed(&event.field_groups)
        + reason
        + OUTCOME
        + HASHES
        + NUMBERS
        + LENGTHS
}

/// [`write`] for SQLite, on the writer thread's own connection: one INSERT after the
/// head this thread wrote last (or read afresh).
fn write_here(
    connection: &rusqlite::Connection,
    events: &[&AuditEvent],
    known_head: &mut Option<Head>,
) -> Result<(), LocalError> {
    let head = match known_head.take() {
        Some(head) => head,
        None => {
            let last = audit_record::Entity::find()
                .order_by_desc(audit_record::Column::Id)
                .limit(1)
                .build(DbBackend::Sqlite);
            local::query_on(connection, &last, |row| {
                Ok((row.get::<_, i64>("id")?, row.get::<_, String>("hash")?))
            })?
            .pop()
            .unwrap_or_else(|| (0, GENESIS.to_owned()))
        }
    };
    let (rows, head) = chained(events, head);
    let insert = audit_record::Entity::insert_many(rows).build(DbBackend::Sqlite);
    local::execute_on(connection, &insert)?;
    *known_head = Some(head);
    Ok(())
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_orm::{QueryTrait, Value};

    use super::*;
    use crate::audit::Actor;

    fn actor(request: usize) -> Actor {
        Actor {
            subject: "assistant-220122101201".into(),
            role: "village_assistant".into(),
            region: "220122101201".into(),
            purpose: Some("benefit review".into()),
            case_ref: None,
            request_id: format!("req-{request:032}"),
        }
    }

    fn events(count: usize) -> Vec<AuditEvent> {
        (0..count)
            .map(|n| {
                AuditEvent::resident_read(
                    &actor(n),
                    "220122199001011234",
                    vec!["social_security".into(), "civil_affairs".into()],
                    vec!["socialInsurance".into(), "pension".into()],
                )
            })
            .collect()
    }

    /// What the INSERT's values take on the wire: each with its four-byte length.
    fn values_bytes(events: &[&AuditEvent]) -> usize {
        let (rows, _) = chained(events, (41, GENESIS.to_owned()));
        let statement = audit_record::Entity::insert_many(rows).build(DbBackend::Postgres);
        let values = statement.values.unwrap();
        values
            .0
            .iter()
            .map(|value| {
                4 + match value {
                    Value::String(text) => text.as_ref().map_or(0, |text| text.len()),
                    _ => 8,
                }
            })
            .sum()
    }

    #[test]
    fn a_records_estimate_is_no_less_than_its_values_on_the_wire() {
        let mut events = events(3);
        events.push(AuditEvent::refused(
            &actor(9),
            "resident.read",
            "220122199001011234",
            "purpose required for this field group",
        ));
        for event in &events {
            assert!(wire_len(event) >= values_bytes(&[event]), "{event:?}");
        }
    }

    #[test]
    fn a_batch_is_split_into_statements_within_one_tls_record() {
        let events = events(200);
        let events: Vec<&AuditEvent> = events.iter().collect();
        let sizes = statement_sizes(&events);
        assert!(sizes.len() > 1, "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), events.len());
        let mut rest = events.as_slice();
        for size in sizes {
            let (statement, after) = rest.split_at(size);
            assert!(values_bytes(statement) <= STATEMENT_BYTES, "{size} records");
            rest = after;
        }
    }

    #[test]
    fn a_record_larger_than_a_statement_goes_alone() {
        let mut large = events(3);
        large[1].target = "x".repeat(STATEMENT_BYTES);
        let large: Vec<&AuditEvent> = large.iter().collect();
        assert_eq!(statement_sizes(&large), vec![1, 1, 1]);
        assert!(statement_sizes(&[]).is_empty());
    }
}
