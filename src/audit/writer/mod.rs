//! One writer task per process appends records in batches (group commit): callers wait
//! for their batch to be committed. The log is one chain for the whole hub, however many
//! instances write it: each batch is one transaction that first takes the chain's
//! advisory lock (PostgreSQL; released by the commit), then reads the head and appends
//! after it. Instances therefore take turns per batch instead of racing for the next id,
//! so none is refused and the chain never forks; a batch waits at most for the other
//! instances' batches in front of it. On SQLite the process is the only writer and the
//! lock is granted at once.
//!
//! On SQLite a batch is one atomic write after the head the writer remembers: one commit
//! per batch. On a SQLite file the writer is a thread of its own with a connection of its
//! own: a batch written through the pool would travel from the task to the connection's
//! worker thread and back, two more wake-ups across threads on the path of every response
//! that carries personal data. There each record is inserted by one cached, prepared
//! statement bound to the event's own fields, inside one transaction.
//!
//! On PostgreSQL the writer is likewise a thread of its own, with a runtime and a
//! connection of its own (`server`): on a connection of the pool, whose socket belongs to
//! whichever runtime opened it (often a busy server worker), each of a batch's round trips
//! waited for that runtime to look at its sockets, and every response with personal data
//! waited behind them.
//! While no other instance appends, a batch there is one statement after the head this
//! writer remembers, which takes the chain's lock itself (`server`).
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

pub use self::server::HeadFound;
use self::server::{ServerWriter, statement_sizes};
use super::{
    AuditError, AuditEvent,
    chain::{GENESIS, Hashed, timestamp_text},
};
use crate::store::{
    coordination::lock_for_transaction,
    local::{self, LocalError, SqliteFile},
};

mod server;

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
    batches: Batches,
}

/// Batches written, by how their head was found: `cunhub_audit_batches_total{head}`.
#[derive(Clone)]
struct Batches(prometheus::IntCounterVec);

impl Batches {
    fn new() -> Self {
        let opts = prometheus::Opts::new(
            "cunhub_audit_batches_total",
            "Audit batches committed, by how the writer found the chain's head: remembered \
             from its last batch (one statement) or read under the chain's lock (another \
             instance appended, or the first batch)",
        );
        // A constant name, help and label: valid.
        #[allow(clippy::expect_used)]
        let counters = prometheus::IntCounterVec::new(opts, &["head"]).expect("audit batch metric");
        Self(counters)
    }

    fn count(&self, found: HeadFound) {
        self.0.with_label_values(&[found.as_str()]).inc();
    }
}

/// What the audit writer writes with.
pub enum WriterDatabase<'a> {
    /// The database's own SQLite file: a connection of the writer's thread.
    SqliteFile(&'a SqliteFile),
    /// A database server: a connection of the writer's own thread and runtime, with the
    /// pool's options.
    Server,
    /// The pool, from a task on the current runtime (an in-memory database).
    Pool,
}

impl<'a> WriterDatabase<'a> {
    /// The writer's way to `db`; `file` when it is a SQLite file.
    pub fn of(db: &DatabaseConnection, file: Option<&'a SqliteFile>) -> Self {
        match (file, db.get_database_backend()) {
            (Some(file), _) => Self::SqliteFile(file),
            (None, DbBackend::Postgres) => Self::Server,
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
        let batches = Batches::new();
        let counted = batches.clone();
        let started = match database {
            WriterDatabase::SqliteFile(file) => match file.open_for_writing() {
                Ok(connection) => {
                    writer_thread(move || run_on_thread(connection, receiver, counted))
                }
                Err(err) => Err(err.to_string()),
            },
            WriterDatabase::Server => match ServerWriter::of(&db) {
                Some(writer) => own_runtime().and_then(|runtime| {
                    writer_thread(move || {
                        let appender = Appender::Server(Box::new(writer));
                        runtime.block_on(run(appender, receiver, counted))
                    })
                }),
                None => Err("not a database server".into()),
            },
            WriterDatabase::Pool => {
                tokio::spawn(run(Appender::pool(db), receiver, counted));
                return Self { jobs, batches };
            }
        };
        match started {
            Ok(()) => Self { jobs, batches },
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

    /// Registers `cunhub_audit_batches_total`.
    pub fn register_metrics(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.batches.0.clone()))
    }

    /// How many batches this writer committed after a head found that way.
    pub fn batches(&self, found: HeadFound) -> u64 {
        self.batches.0.with_label_values(&[found.as_str()]).get()
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

/// Where a writer on a runtime appends its batches.
enum Appender {
    /// Through the pool; on SQLite, after the head this process wrote last, so that a
    /// batch is one statement.
    Pool {
        db: DatabaseConnection,
        known_head: Option<Head>,
    },
    /// On a connection of the writer's own to a database server.
    Server(Box<ServerWriter>),
}

impl Appender {
    fn pool(db: DatabaseConnection) -> Self {
        Self::Pool {
            db,
            known_head: None,
        }
    }

    async fn append(&mut self, events: &[&AuditEvent]) -> Result<HeadFound, sea_orm::DbErr> {
        match self {
            Self::Pool { db, known_head } => write(db, events, known_head).await,
            Self::Server(writer) => writer.write(events).await,
        }
    }
}

async fn run(mut appender: Appender, mut receiver: mpsc::Receiver<Job>, batches: Batches) {
    while let Some(first) = receiver.recv().await {
        let jobs = batch(first, &mut receiver);
        let events = events_of(&jobs);
        let mut result = Err(AuditError::Unavailable);
        for attempt in 1..=ATTEMPTS {
            match appender.append(&events).await {
                Ok(found) => {
                    batches.count(found);
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
fn run_on_thread(
    connection: rusqlite::Connection,
    mut receiver: mpsc::Receiver<Job>,
    batches: Batches,
) {
    let mut known_head: Option<Head> = None;
    while let Some(first) = receiver.blocking_recv() {
        let jobs = batch(first, &mut receiver);
        let events = events_of(&jobs);
        let mut result = Err(AuditError::Unavailable);
        for attempt in 1..=ATTEMPTS {
            match write_here(&connection, &events, &mut known_head) {
                Ok(found) => {
                    batches.count(found);
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

/// A batch through the pool: on SQLite one INSERT after the head this process wrote last
/// (an in-memory database); on a server, when the writer has no connection of its own, a
/// transaction that takes the chain's lock and reads the head first.
async fn write(
    db: &DatabaseConnection,
    events: &[&AuditEvent],
    known_head: &mut Option<Head>,
) -> Result<HeadFound, sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        // One INSERT is atomic on its own, so a batch is one statement after the head this
        // process wrote last. Should another process have appended since (a command run
        // beside the server), the first id is taken: the primary key refuses the batch and
        // it is written again on the head read afresh. (`take` forgets the head on failure.)
        let (head, found) = match known_head.take() {
            Some(head) => (head, HeadFound::Remembered),
            None => (read_head(db).await?, HeadFound::Read),
        };
        let (rows, head) = chained_rows(events, head);
        audit_record::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        *known_head = Some(head);
        return Ok(found);
    }
    let txn = db.begin().await?;
    lock_for_transaction(&txn, CHAIN_LOCK).await?;
    let head = read_head(&txn).await?;
    let (mut rows, _) = chained_rows(events, head);
    for count in statement_sizes(events) {
        audit_record::Entity::insert_many(rows.by_ref().take(count))
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(HeadFound::Read)
}

/// [`write`] for SQLite, on the writer thread's own connection: one transaction after
/// the head this thread wrote last (or read afresh), each record inserted by one prepared
/// statement bound to the event's own fields.
fn write_here(
    connection: &rusqlite::Connection,
    events: &[&AuditEvent],
    known_head: &mut Option<Head>,
) -> Result<HeadFound, LocalError> {
    let (head, found) = match known_head.take() {
        Some(head) => (head, HeadFound::Remembered),
        None => {
            let newest = audit_record::Entity::find()
                .order_by_desc(audit_record::Column::Id)
                .limit(1)
                .build(DbBackend::Sqlite);
            let last = local::query_on(connection, &newest, |row| {
                Ok((row.get::<_, i64>("id")?, row.get::<_, String>("hash")?))
            })?
            .pop()
            .unwrap_or_else(|| (0, GENESIS.to_owned()));
            (last, HeadFound::Read)
        }
    };
    let (records, head) = chained(events, head);
    // Dropped without its commit (a record refused), it rolls the whole batch back.
    let transaction =
        rusqlite::Transaction::new_unchecked(connection, rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut insert = transaction.prepare_cached(INSERT_RECORD)?;
        for record in &records {
            let actor = &record.event.actor;
            insert.execute(rusqlite::params![
                record.id,
                local::datetime_text(&record.at),
                actor.request_id,
                actor.subject,
                actor.role,
                actor.region,
                actor.purpose,
                actor.case_ref,
                record.event.action,
                record.event.target,
                record.departments,
                record.field_groups,
                record.outcome,
                record.prev_hash,
                record.hash,
            ])?;
        }
    }
    transaction.commit()?;
    *known_head = Some(head);
    Ok(found)
}

/// A record's columns, in the order the writers bind its values.
const RECORD_COLUMNS: &str = "id, recorded_at, request_id, subject, role, region, purpose, \
    case_ref, action, target, departments, field_groups, outcome, prev_hash, hash";

/// One record, its values in the order [`write_here`] binds them.
const INSERT_RECORD: &str = "INSERT INTO audit_record (id, recorded_at, request_id, subject, \
    role, region, purpose, case_ref, action, target, departments, field_groups, outcome, \
    prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/// One record as it is stored: its event, its place in the chain and its hash.
struct Chained<'a> {
    id: i64,
    at: DateTime<Utc>,
    event: &'a AuditEvent,
    departments: String,
    field_groups: String,
    outcome: String,
    prev_hash: String,
    hash: String,
}

impl Chained<'_> {
    fn into_row(self) -> audit_record::ActiveModel {
        let actor = &self.event.actor;
        audit_record::ActiveModel {
            id: Set(self.id),
            recorded_at: Set(self.at),
            request_id: Set(actor.request_id.clone()),
            subject: Set(actor.subject.clone()),
            role: Set(actor.role.clone()),
            region: Set(actor.region.clone()),
            purpose: Set(actor.purpose.clone()),
            case_ref: Set(actor.case_ref.clone()),
            action: Set(self.event.action.to_owned()),
            target: Set(self.event.target.clone()),
            departments: Set(self.departments),
            field_groups: Set(self.field_groups),
            outcome: Set(self.outcome),
            prev_hash: Set(self.prev_hash),
            hash: Set(self.hash),
        }
    }
}

/// `events` appended after `head`, each hashed over the one before, as rows to insert.
fn chained_rows(
    events: &[&AuditEvent],
    head: Head,
) -> (impl Iterator<Item = audit_record::ActiveModel>, Head) {
    let (records, head) = chained(events, head);
    (records.into_iter().map(Chained::into_row), head)
}

/// `events` appended after `head`, each hashed over the one before, and the chain's new
/// head.
fn chained<'a>(events: &[&'a AuditEvent], head: Head) -> (Vec<Chained<'a>>, Head) {
    let (mut id, mut prev_hash) = head;
    let mut records = Vec::with_capacity(events.len());
    for event in events {
        id += 1;
        let at: DateTime<Utc> = event.at.trunc_subsecs(6);
        let departments = event.departments.join(",");
        let field_groups = event.field_groups.join(",");
        let outcome = event.outcome.as_string();
        let hash = Hashed {
            id,
            recorded_at: &timestamp_text(&at),
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
        let next = hash.clone();
        records.push(Chained {
            id,
            at,
            event,
            departments,
            field_groups,
            outcome,
            prev_hash,
            hash,
        });
        prev_hash = next;
    }
    (records, (id, prev_hash))
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
mod tests {
    use sea_orm::{EntityName, Iden, Iterable};

    use super::*;

    #[test]
    fn the_prepared_insert_names_every_column_of_the_record_once() {
        let columns: Vec<String> = audit_record::Column::iter()
            .map(|column| column.to_string())
            .collect();
        let expected = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            audit_record::Entity.table_name(),
            columns.join(", "),
            (1..=columns.len())
                .map(|n| format!("?{n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        assert_eq!(INSERT_RECORD, expected);
        assert_eq!(RECORD_COLUMNS, columns.join(", "));
    }
}
