//! Coordination between hub instances that share one PostgreSQL database, through the
//! database itself rather than a service of its own: advisory locks, held either for one
//! transaction (released by its commit or rollback) or for a session on a connection of
//! their own (released when that connection closes, so a dead instance frees its locks).
//!
//! On SQLite one process serves the file: there is nobody to coordinate with, and every
//! lock here is granted at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement,
    sqlx::{
        Connection,
        postgres::{
            PgAdvisoryLock, PgAdvisoryLockGuard, PgAdvisoryLockKey, PgConnection, PgListener,
            PgPoolOptions,
        },
    },
};
use tokio::sync::Notify;

use super::StoreError;

/// The 64-bit advisory-lock key of a lock's name: the key sqlx derives for it, so a lock
/// taken for a transaction and one taken for a session under the same name are one lock.
fn key(name: &str) -> i64 {
    match PgAdvisoryLock::new(name).key() {
        PgAdvisoryLockKey::BigInt(key) => *key,
        // `new` derives a single 64-bit key; anything else would be a future sqlx's.
        _ => i64::from_be_bytes(name_digest(name)),
    }
}

fn name_digest(name: &str) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    first
}

/// The statement that takes the lock `name` for the rest of the transaction, as text:
/// for a caller that sends it in one message with the statements around it.
pub fn transaction_lock_sql(name: &str) -> String {
    format!("SELECT pg_advisory_xact_lock({})", key(name))
}

/// Takes the lock `name` for the rest of the transaction `txn`, waiting for another
/// instance that holds it to commit or roll back. Writes that must follow one another
/// across instances (the audit chain) take it first thing in their transaction.
pub async fn lock_for_transaction(txn: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key(name).into()],
    ))
    .await?;
    Ok(())
}

/// A session-level lock held on a connection of its own, outside the pool.
pub struct SessionLock {
    guard: Option<PgAdvisoryLockGuard<PgConnection>>,
}

impl SessionLock {
    /// Waits until the lock `name` is free and takes it.
    pub async fn acquire(db: &DatabaseConnection, name: &str) -> Result<Self, StoreError> {
        let Some(connection) = own_connection(db).await? else {
            return Ok(Self { guard: None });
        };
        let guard = PgAdvisoryLock::new(name)
            .acquire(connection)
            .await
            .map_err(unavailable)?;
        Ok(Self { guard: Some(guard) })
    }

    /// Takes the lock `name` if nobody holds it; `None` when another session does.
    pub async fn try_acquire(
        db: &DatabaseConnection,
        name: &str,
    ) -> Result<Option<Self>, StoreError> {
        let Some(connection) = own_connection(db).await? else {
            return Ok(Some(Self { guard: None }));
        };
        match PgAdvisoryLock::new(name)
            .try_acquire(connection)
            .await
            .map_err(unavailable)?
        {
            sea_orm::sqlx::Either::Left(guard) => Ok(Some(Self { guard: Some(guard) })),
            sea_orm::sqlx::Either::Right(connection) => {
                let _ = connection.close().await;
                Ok(None)
            }
        }
    }

    /// Whether the lock is still held: its connection still answers. A connection that
    /// broke has lost the lock with it (the server released it when the session ended).
    pub async fn still_held(&mut self) -> bool {
        match self.guard.as_mut() {
            None => true,
            Some(guard) => Connection::ping(guard.as_mut()).await.is_ok(),
        }
    }

    /// Releases the lock now and closes its connection.
    pub async fn release(mut self) {
        if let Some(guard) = self.guard.take()
            && let Ok(connection) = guard.release_now().await
        {
            let _ = connection.close().await;
        }
    }
}

/// A connection of its own to the PostgreSQL database behind `db` (with the pool's
/// options), or `None` on SQLite.
async fn own_connection(db: &DatabaseConnection) -> Result<Option<PgConnection>, StoreError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(None);
    }
    let options = db.get_postgres_connection_pool().connect_options();
    PgConnection::connect_with(&options)
        .await
        .map(Some)
        .map_err(unavailable)
}

fn unavailable(err: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!("coordination lock: {err}"))
}

/// Which instance runs the hub's scheduled jobs (the overdue sweep, scheduled screening,
/// audit checkpoints): the holder of a session advisory lock, so exactly one at a time.
/// The lock lives on a connection of the leader's own; when the leader dies or its
/// connection breaks, the server frees the lock and another instance takes it at its next
/// try. Every job asks [`Leadership::take_turn`] at each of its ticks.
///
/// On SQLite the one process leads from the start.
#[derive(Clone)]
pub struct Leadership {
    inner: Arc<LeadershipInner>,
}

struct LeadershipInner {
    name: &'static str,
    leading: AtomicBool,
    resign: Notify,
    runs: IntCounterVec,
    leader: IntGauge,
}

impl Leadership {
    /// A handle that does not lead until [`Self::campaign`] wins the lock `name`.
    pub fn new(name: &'static str) -> Result<Self, prometheus::Error> {
        let runs = IntCounterVec::new(
            Opts::new(
                "scheduled_runs_total",
                "Scheduled jobs run by this instance while it led, by job",
            ),
            &["job"],
        )?;
        let leader = IntGauge::new(
            "leader",
            "1 while this instance leads the scheduled jobs, 0 otherwise",
        )?;
        Ok(Self {
            inner: Arc::new(LeadershipInner {
                name,
                leading: AtomicBool::new(false),
                resign: Notify::new(),
                runs,
                leader,
            }),
        })
    }

    /// Adds this handle's metrics to `registry`.
    pub fn register_metrics(&self, registry: &Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.inner.runs.clone()))?;
        registry.register(Box::new(self.inner.leader.clone()))
    }

    /// Whether this instance leads now.
    pub fn is_leader(&self) -> bool {
        self.inner.leading.load(Ordering::SeqCst)
    }

    /// Whether `job` runs on this instance at this tick (counted when it does).
    pub fn take_turn(&self, job: &str) -> bool {
        let leading = self.is_leader();
        if leading {
            self.inner.runs.with_label_values(&[job]).inc();
        }
        leading
    }

    /// Gives the lead up now (on the way out), so another instance takes it at its next
    /// try instead of after the connection times out.
    pub fn resign(&self) {
        self.inner.resign.notify_one();
    }

    fn set(&self, leading: bool) {
        if self.inner.leading.swap(leading, Ordering::SeqCst) != leading {
            tracing::info!(
                lock = self.inner.name,
                leading,
                "scheduled-job leadership changed"
            );
        }
        self.inner.leader.set(i64::from(leading));
    }

    /// Tries for the lock now and every `every` after, and while it holds the lock,
    /// checks every `every` that its connection still answers. Runs until [`Self::resign`].
    pub async fn campaign(self, db: DatabaseConnection, every: Duration) {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            self.set(true);
            self.inner.resign.notified().await;
            self.set(false);
            return;
        }
        let lock = PgAdvisoryLock::new(self.inner.name);
        let mut idle: Option<PgConnection> = None;
        let mut held: Option<PgAdvisoryLockGuard<PgConnection>> = None;
        loop {
            match held.as_mut() {
                Some(guard) => {
                    if Connection::ping(guard.as_mut()).await.is_err() {
                        tracing::warn!(lock = self.inner.name, "the leader's connection broke");
                        held = None;
                        self.set(false);
                        // The others, whose connections work, get the first try.
                        tokio::time::sleep(every).await;
                    }
                }
                None => {
                    let connection = match idle.take() {
                        Some(connection) => Some(connection),
                        None => own_connection(&db).await.ok().flatten(),
                    };
                    if let Some(connection) = connection {
                        match lock.try_acquire(connection).await {
                            Ok(sea_orm::sqlx::Either::Left(guard)) => {
                                held = Some(guard);
                                self.set(true);
                            }
                            Ok(sea_orm::sqlx::Either::Right(connection)) => idle = Some(connection),
                            Err(err) => tracing::warn!(error = %err, "leadership not tried"),
                        }
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.inner.resign.notified() => break,
            }
        }
        self.set(false);
        if let Some(guard) = held
            && let Ok(connection) = guard.release_now().await
        {
            let _ = connection.close().await;
        }
    }
}

/// Sends `payload` on `channel` as part of the transaction `txn`: PostgreSQL delivers it
/// to every listener when (and only if) the transaction commits, in commit order. Nothing
/// on SQLite, where the one process publishes in memory.
pub async fn notify_on_commit(
    txn: &impl ConnectionTrait,
    channel: &str,
    payload: &str,
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// What a [`Listener`] hears next.
#[derive(Debug)]
pub enum Heard {
    /// One notification's payload.
    Payload(String),
    /// The connection was lost and made again: notifications sent meanwhile are gone, and
    /// the listener must catch up from the tables.
    Gap,
}

/// The notifications of one channel, on a connection of their own (a pool of one, so the
/// hub's pool keeps all its connections for requests).
pub struct Listener {
    inner: PgListener,
}

impl Listener {
    /// Listens on `channel`; `None` on SQLite, where there is nobody else to hear from.
    pub async fn start(db: &DatabaseConnection, channel: &str) -> Result<Option<Self>, StoreError> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let options = db.get_postgres_connection_pool().connect_options();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with((*options).clone())
            .await
            .map_err(unavailable)?;
        let mut inner = PgListener::connect_with(&pool).await.map_err(unavailable)?;
        inner.listen(channel).await.map_err(unavailable)?;
        Ok(Some(Self { inner }))
    }

    /// Waits for the next notification. A lost connection is made again (waiting while
    /// the database is away) and reported once as [`Heard::Gap`].
    pub async fn next(&mut self) -> Heard {
        match self.inner.try_recv().await {
            Ok(Some(notification)) => Heard::Payload(notification.payload().to_owned()),
            Ok(None) => Heard::Gap,
            Err(err) => {
                tracing::warn!(error = %err, "notification listener lost its connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
                Heard::Gap
            }
        }
    }
}
