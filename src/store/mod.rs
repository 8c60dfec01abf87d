//! The hub's own tables, reached through sea-orm. Functions take `&impl ConnectionTrait`
//! so that callers choose the transaction.

pub mod coordination;
pub mod divisions;
pub mod id_vault;
pub mod idempotency;
pub mod local;
pub mod regions;
pub mod residents;
pub mod rotate;
mod settings;
pub mod thread_owner;
pub mod thread_pools;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

pub use settings::{DatabaseSettings, PrivacySettings};

/// The handle of the hub's database (a pool of connections), as the layers above the
/// store name it.
pub type Database = DatabaseConnection;

/// A failure of the hub's own storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("shipped data is broken: {0}")]
    Data(String),
}

/// How long a pooled connection may rest before it is pinged on checkout.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Opens the pool. SQLite runs in WAL mode with `synchronous=NORMAL` so readers never wait
/// for the writer, and waits on a busy database instead of failing at once.
///
/// A connection is pinged before it is handed out only when it has been idle for a while:
/// a ping on every checkout is one more round trip per statement (on SQLite, two more
/// thread hops), and a hot connection has just proved itself.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, StoreError> {
    sea_orm::Database::connect(options(settings))
        .await
        .map_err(|err| StoreError::Unavailable(describe_connect_error(&err)))
}

/// [`connect`], opening no connection until one is asked for: a pool that costs nothing
/// where it is never used, and never waits at its start for a server that is away.
pub async fn connect_lazily(settings: &DatabaseSettings) -> Result<DatabaseConnection, StoreError> {
    let mut options = options(settings);
    options.min_connections(0).connect_lazy(true);
    sea_orm::Database::connect(options)
        .await
        .map_err(|err| StoreError::Unavailable(describe_connect_error(&err)))
}

/// A transaction that writes. On SQLite it takes the write lock at `BEGIN`: a deferred
/// transaction that reads first and writes after cannot wait for the lock when another
/// connection (the audit writer's) committed since its read began, and fails at once with
/// `SQLITE_BUSY_SNAPSHOT` whatever the busy timeout. PostgreSQL ignores the mode.
pub async fn begin_writing(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

fn options(settings: &DatabaseSettings) -> ConnectOptions {
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    options
}

/// Brings the schema up to date and loads the division tree. The features' own shipped
/// data is loaded by `startup::prepare_database`, which every command runs.
pub async fn migrate(db: &DatabaseConnection) -> Result<MigrationReport, StoreError> {
    migrate_with::<Migrator>(db).await
}

/// [`migrate`] with the migrations of `M`: a test names an older or a newer version's set.
///
/// Migrations are written expand-then-contract (docs/deploy.md), so that during a rolling
/// upgrade an instance of the previous version runs on the schema the new version has
/// expanded: a database that has every migration this version knows, and newer ones
/// besides, is served as it is (the migrator alone would refuse it).
pub async fn migrate_with<M: MigratorTrait>(
    db: &DatabaseConnection,
) -> Result<MigrationReport, StoreError> {
    let known: Vec<String> = M::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let applied: Vec<String> = M::get_migration_models(db)
        .await?
        .into_iter()
        .map(|model| model.version)
        .collect();
    let newer: Vec<&String> = applied.iter().filter(|v| !known.contains(v)).collect();
    if newer.is_empty() {
        M::up(db, None).await?;
    } else {
        let missing: Vec<&String> = known.iter().filter(|v| !applied.contains(v)).collect();
        if !missing.is_empty() {
            return Err(StoreError::Data(format!(
                "the database has migrations of another version ({}) and lacks this version's ({})",
                join(&newer),
                join(&missing)
            )));
        }
        tracing::info!(
            newer = %join(&newer),
            "the schema is ahead of this version (a newer version expanded it); serving on it unchanged"
        );
    }
    let regions_added = divisions::ensure_loaded(db).await?;
    Ok(MigrationReport { regions_added })
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|name| name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a migration run changed.
#[derive(Debug, Clone, Copy)]
pub struct MigrationReport {
    pub regions_added: u64,
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

// The driver's message can carry the URL with a password; keep only its kind.
fn describe_connect_error(err: &DbErr) -> String {
    let text = err.to_string();
    if text.contains("password") || text.contains("://") {
        "could not connect (check database.url)".into()
    } else {
        text
    }
}
