//! A few connections per thread, for the hot reads on a database server.
//!
//! A pooled connection's socket belongs to the runtime that opened it, and each server
//! worker is a runtime of its own: a read on a connection another worker opened waits
//! for that worker to look at its sockets, and the pool's bookkeeping crosses between
//! them. Here each thread that asks opens a few connections of its own, on its own
//! runtime, as it needs them.
//!
//! They are the driver's connections, not a pool's: a pool tests every connection it is
//! given back with a round trip to the server, its guard against a statement a cancelled
//! caller left half read, and on the path of every request that names a resident that
//! round trip cost as much as the read. Here a connection goes back only when its
//! statement ran to the end; one whose statement failed, or whose caller was cancelled,
//! is closed with it. They are opened with the shared pool's own options (the same
//! server, credentials and TLS). Where the database is not a server, every read goes
//! through the shared pool.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnAcquireErr, DatabaseConnection, DbBackend, DbErr, QueryResult, RuntimeErr, Statement,
    sqlx::{
        Connection,
        postgres::{PgConnectOptions, PgConnection},
    },
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Semaphore;

use super::thread_owner::{Entries, ThreadOwner};

/// Connections each thread keeps at most.
const PER_THREAD: usize = 4;

/// How long a read waits for a connection of its thread, or for one to be opened, as the
/// shared pool waits.
const WAIT: Duration = Duration::from_secs(10);

/// The server the threads' connections go to, and who those connections belong to.
#[derive(Debug)]
pub struct ThreadPools {
    server: Option<Server>,
    /// When it is dropped (a rebuilt application), the threads' connections are let go.
    owner: ThreadOwner,
    on_statement: Option<fn(Duration)>,
}

#[derive(Debug)]
struct Server {
    /// The shared pool's: its statement logging is already off.
    options: Arc<PgConnectOptions>,
    per_thread: usize,
}

/// One thread's connections: those at rest, and a turn for each it may have.
struct Connections {
    idle: Mutex<Vec<PgConnection>>,
    turns: Semaphore,
}

thread_local! {
    /// This thread's connections, by the `ThreadPools` they belong to.
    static CONNECTIONS: RefCell<Entries<Arc<Connections>>> = const { RefCell::new(Vec::new()) };
}

impl ThreadPools {
    /// Connections per thread to the server behind the pool `db`, at most as many as the
    /// pool may open (and [`PER_THREAD`]) each; none when `db` is not a server's.
    pub fn of(db: &DatabaseConnection) -> Self {
        if db.get_database_backend() != DbBackend::Postgres {
            return Self::none();
        }
        let pool = db.get_postgres_connection_pool();
        Self::to_server(pool.connect_options(), pool.options().get_max_connections())
    }

    fn to_server(options: Arc<PgConnectOptions>, max_connections: u32) -> Self {
        Self {
            server: Some(Server {
                options,
                per_thread: (max_connections as usize).clamp(1, PER_THREAD),
            }),
            owner: ThreadOwner::default(),
            on_statement: None,
        }
    }

    /// None at all: every read goes through the shared pool.
    pub fn none() -> Self {
        Self {
            server: None,
            owner: ThreadOwner::default(),
            on_statement: None,
        }
    }

    /// Tells `callback` the time of each statement run on a thread's connection (the
    /// request's tally), as the shared pool tells its metric callback.
    pub fn on_statement(self, callback: fn(Duration)) -> Self {
        Self {
            on_statement: Some(callback),
            ..self
        }
    }

    /// The rows of `statement` (written for PostgreSQL), read on one of the calling
    /// thread's connections, opened now if it has none at rest and may have another;
    /// `None` when there are no connections per thread (the caller reads through the
    /// shared pool).
    pub async fn query_all(
        &self,
        statement: &Statement,
    ) -> Option<Result<Vec<QueryResult>, DbErr>> {
        let server = self.server.as_ref()?;
        let connections = CONNECTIONS
            .try_with(|entries| {
                Arc::clone(self.owner.entry_in(&mut entries.borrow_mut(), || {
                    Arc::new(Connections {
                        idle: Mutex::new(Vec::new()),
                        turns: Semaphore::new(server.per_thread),
                    })
                }))
            })
            .ok()?;
        Some(self.query_on(server, &connections, statement).await)
    }

    async fn query_on(
        &self,
        server: &Server,
        connections: &Connections,
        statement: &Statement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let timed_out = || DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        let _turn = tokio::time::timeout(WAIT, connections.turns.acquire())
            .await
            .map_err(|_| timed_out())?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        let at_rest = connections.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut connection = match at_rest {
            Some(connection) => connection,
            None => tokio::time::timeout(WAIT, PgConnection::connect_with(&server.options))
                .await
                .map_err(|_| timed_out())?
                .map_err(|err| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))))?,
        };
        let values = statement
            .values
            .clone()
            .unwrap_or_else(|| sea_orm::Values(Vec::new()));
        let started = Instant::now();
        let rows = sea_orm::sqlx::query_with(
            sea_orm::sqlx::AssertSqlSafe(statement.sql.as_str()),
            SqlxValues(values),
        )
        .fetch_all(&mut connection)
        .await
        .map_err(|err| DbErr::Query(RuntimeErr::SqlxError(Arc::new(err))))?;
        if let Some(callback) = self.on_statement {
            callback(started.elapsed());
        }
        // Only now, its statement read to the end, may the connection serve another.
        if let Ok(mut idle) = connections.idle.lock() {
            idle.push(connection);
        }
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn statement() -> Statement {
        Statement::from_string(DbBackend::Postgres, "SELECT 1")
    }

    #[tokio::test]
    async fn a_file_database_has_no_connections_per_thread() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        let pools = ThreadPools::of(&db);
        assert!(pools.server.is_none());
        assert!(pools.query_all(&statement()).await.is_none());
        assert!(ThreadPools::none().query_all(&statement()).await.is_none());
    }

    #[tokio::test]
    async fn a_server_away_is_an_error_of_the_read_and_no_connection_is_kept() {
        // Nothing listens on port 1.
        let options = PgConnectOptions::new()
            .host("127.0.0.1")
            .port(1)
            .username("nobody")
            .database("none");
        let pools = ThreadPools::to_server(Arc::new(options), 16);
        assert_eq!(pools.server.as_ref().unwrap().per_thread, PER_THREAD);
        let read = pools.query_all(&statement()).await.unwrap();
        assert!(matches!(read, Err(DbErr::Conn(_))), "{read:?}");
        let kept = CONNECTIONS.with(|entries| {
            let entries = entries.borrow();
            let connections = pools.owner.find_in(&entries).unwrap();
            (
                connections.idle.lock().unwrap().len(),
                connections.turns.available_permits(),
            )
        });
        assert_eq!(
            kept,
            (0, PER_THREAD),
            "nothing at rest, every turn given back"
        );
    }
}
