//! Reads on the calling thread, for the lookups on every request's path.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: a statement from a
//! request is handed to that thread and its rows handed back, two wake-ups across threads
//! for a lookup that SQLite answers in microseconds. Here each thread that asks keeps a
//! read-only connection of its own to the same database file and runs the statement
//! itself. The statement is the one sea-orm builds, so the query is written once.
//!
//! It reads what is committed, as a pooled connection would (WAL: a reader sees the last
//! commit and never waits for the writer). Whenever it cannot answer (the database is not
//! a SQLite file, the file cannot be opened, a value it does not bind, an error), the
//! caller reads through the pool instead: this is a shortcut, never the only way.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, Row, ToSql, types::Value as SqlValue};
use sea_orm::{DbBackend, Statement, Value};

use super::thread_owner::{Entries, ThreadOwner};

/// How long a read may wait on a locked database before the pool is asked instead. A WAL
/// reader waits only while another connection recovers the log, which is rare and short.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// How long a write waits on a busy database, as the pool's connections do.
const WRITER_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The page cache of each thread's connection, in KiB (SQLite's default is 2 MiB): the
/// lookups touch a few index and table pages, and the operating system caches the file.
const CACHE_KIB: i64 = 1024;

/// The page cache of the writer's connection, in KiB (SQLite's default is 2 MiB). The
/// audit writer appends: it needs the table's last pages and the index pages its new
/// entries land on, and its commits go to the log file, which the operating system
/// caches. Filled to the default under load, the cache was a megabyte and a half of the
/// hub's memory with no throughput to show for it.
const WRITER_CACHE_KIB: i64 = 512;

/// Statements kept prepared per connection.
const PREPARED: usize = 16;

/// The file of a SQLite database, as its URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteFile(PathBuf);

impl SqliteFile {
    /// The file `database_url` names; `None` for PostgreSQL, an in-memory database, or
    /// a URL this module would have to guess at (percent-encoding).
    pub fn of_url(database_url: &str) -> Option<Self> {
        let rest = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let in_memory = path.is_empty()
            || path == ":memory:"
            || query
                .split('&')
                .any(|pair| pair == "mode=memory" || pair == "vfs=memdb");
        if in_memory || path.contains('%') {
            return None;
        }
        Some(Self(PathBuf::from(path)))
    }

    /// A connection that only reads. Never creates the file: a path that does not name
    /// the hub's database fails here instead of answering from an empty one.
    pub fn open_read_only(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.0,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update(None, "cache_size", -CACHE_KIB)?;
        connection.set_prepared_statement_cache_capacity(PREPARED);
        Ok(connection)
    }

    /// A connection that writes, with the pool's settings (WAL, `synchronous=NORMAL`,
    /// waiting on a busy database); the file must exist (the pool created it).
    pub fn open_for_writing(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.0,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(WRITER_BUSY_TIMEOUT)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        connection.set_prepared_statement_cache_capacity(PREPARED);
        Ok(connection)
    }
}

/// Why a statement was not run on a connection of this module.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a value this path does not bind: {0}")]
    Unbindable(String),
    #[error("a statement for another database: {0:?}")]
    Backend(DbBackend),
}

/// The database file the threads read, and who their connections belong to.
#[derive(Debug)]
pub struct LocalReads {
    file: Option<SqliteFile>,
    /// When it is dropped (a rebuilt application), the threads' connections are let go.
    owner: ThreadOwner,
    /// Told each statement's time, as the pool tells its metric callback.
    on_statement: Option<fn(Duration)>,
}

thread_local! {
    /// This thread's connections, by the `LocalReads` they belong to; `None` where the
    /// file could not be opened, so that it is not tried on every read.
    static CONNECTIONS: RefCell<Entries<Option<Connection>>> =
        const { RefCell::new(Vec::new()) };
}

impl LocalReads {
    /// Reads on the calling thread from `file` (the database's own, when it is a SQLite
    /// file); without one (PostgreSQL, an in-memory database) every read goes through
    /// the pool.
    pub fn new(file: Option<SqliteFile>) -> Self {
        Self {
            file,
            owner: ThreadOwner::default(),
            on_statement: None,
        }
    }

    /// Tells `callback` the time of each statement run here (the request's tally).
    pub fn on_statement(self, callback: fn(Duration)) -> Self {
        Self {
            on_statement: Some(callback),
            ..self
        }
    }

    /// Whether reads can run on the calling thread at all.
    pub fn is_enabled(&self) -> bool {
        self.file.is_some()
    }

    /// Runs `statement` on this thread's connection and maps its rows with `map`; `None`
    /// when it cannot be answered here, and the caller should read through the pool.
    pub fn query<T>(
        &self,
        statement: &Statement,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<Vec<T>> {
        let file = self.file.as_ref()?;
        CONNECTIONS
            .try_with(|connections| {
                let mut connections = connections.try_borrow_mut().ok()?;
                let connection = self.connection_in(&mut connections, file)?;
                let started = Instant::now();
                let rows = query_on(connection, statement, map);
                if let Some(callback) = self.on_statement {
                    callback(started.elapsed());
                }
                match rows {
                    Ok(rows) => Some(rows),
                    Err(err) => {
                        tracing::debug!(error = %err, "read on the calling thread failed; reading through the pool");
                        None
                    }
                }
            })
            .ok()
            .flatten()
    }

    fn connection_in<'a>(
        &self,
        connections: &'a mut Entries<Option<Connection>>,
        file: &SqliteFile,
    ) -> Option<&'a Connection> {
        self.owner
            .entry_in(connections, || {
                file.open_read_only()
                    .inspect_err(|err| {
                        tracing::debug!(error = %err, "no connection on this thread; reading through the pool");
                    })
                    .ok()
            })
            .as_ref()
    }
}

/// Runs `statement` on `connection` and maps its rows with `map`.
pub fn query_on<T>(
    connection: &Connection,
    statement: &Statement,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, LocalError> {
    let values = bind_values(statement)?;
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    let params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
    Ok(prepared
        .query_map(params.as_slice(), map)?
        .collect::<rusqlite::Result<Vec<T>>>()?)
}

/// Runs `statement`, which returns no rows, on `connection`; how many rows it changed.
pub fn execute_on(connection: &Connection, statement: &Statement) -> Result<usize, LocalError> {
    let values = bind_values(statement)?;
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    let params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
    Ok(prepared.execute(params.as_slice())?)
}

/// The statement's values as sqlx binds them on SQLite (dates and times as its text).
fn bind_values(statement: &Statement) -> Result<Vec<SqlValue>, LocalError> {
    if statement.db_backend != DbBackend::Sqlite {
        return Err(LocalError::Backend(statement.db_backend));
    }
    let Some(values) = &statement.values else {
        return Ok(Vec::new());
    };
    values.0.iter().map(bind).collect()
}

/// A time as sqlx stores it on SQLite, for a statement bound here.
pub fn datetime_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn bind(value: &Value) -> Result<SqlValue, LocalError> {
    let text = |v: Option<String>| v.map_or(SqlValue::Null, SqlValue::Text);
    let integer = |v: Option<i64>| v.map_or(SqlValue::Null, SqlValue::Integer);
    Ok(match value {
        Value::String(v) => text(v.clone()),
        Value::Char(v) => text(v.map(String::from)),
        Value::Bool(v) => integer(v.map(i64::from)),
        Value::TinyInt(v) => integer(v.map(i64::from)),
        Value::SmallInt(v) => integer(v.map(i64::from)),
        Value::Int(v) => integer(v.map(i64::from)),
        Value::BigInt(v) => integer(*v),
        Value::TinyUnsigned(v) => integer(v.map(i64::from)),
        Value::SmallUnsigned(v) => integer(v.map(i64::from)),
        Value::Unsigned(v) => integer(v.map(i64::from)),
        // A limit or an offset; SQLite's integers are signed.
        Value::BigUnsigned(Some(n)) => SqlValue::Integer(
            i64::try_from(*n).map_err(|_| LocalError::Unbindable(format!("{n} (too large)")))?,
        ),
        Value::BigUnsigned(None) => SqlValue::Null,
        Value::ChronoDate(v) => text(v.map(|d| d.format("%F").to_string())),
        Value::ChronoDateTimeUtc(v) => text(v.as_ref().map(datetime_text)),
        other => return Err(LocalError::Unbindable(format!("{other:?}"))),
    })
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    #[test]
    fn only_a_sqlite_file_is_read_on_the_calling_thread() {
        let file = |url| SqliteFile::of_url(url).map(|f| f.0);
        assert_eq!(
            file("sqlite:///var/lib/cunhub/hub.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/cunhub/hub.db"))
        );
        assert_eq!(
            file("sqlite://cunhub.db?mode=rwc"),
            Some(PathBuf::from("cunhub.db"))
        );
        assert_eq!(file("sqlite:hub.db"), Some(PathBuf::from("hub.db")));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://hub.db?mode=memory&cache=shared"), None);
        assert_eq!(file("sqlite://my%20hub.db"), None);
        assert_eq!(file("postgres://postgres@127.0.0.1/postgres"), None);
    }

    fn select(sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
    }

    #[tokio::test]
    async fn reads_what_the_pool_committed_and_lets_go_of_dropped_owners() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
        let pool = Database::connect(&url).await.unwrap();
        pool.execute_unprepared(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)",
        )
        .await
        .unwrap();
        let reads = LocalReads::new(SqliteFile::of_url(&url));
        let by_key = select("SELECT n FROM t WHERE k = ?", vec!["a".into()]);
        let numbers = |reads: &LocalReads| reads.query(&by_key, |row| row.get::<_, i64>(0));

        assert_eq!(numbers(&reads), Some(vec![]));
        pool.execute_unprepared("INSERT INTO t VALUES ('a', 7)")
            .await
            .unwrap();
        assert_eq!(numbers(&reads), Some(vec![7]), "a commit is seen at once");

        // A statement it cannot answer is left to the pool.
        let broken = select("SELECT nothing FROM nowhere", vec![]);
        assert_eq!(reads.query(&broken, |row| row.get::<_, i64>(0)), None);
        let json = select("SELECT ?", vec![Value::Json(None)]);
        assert_eq!(reads.query(&json, |row| row.get::<_, i64>(0)), None);
        // A limit is bound as an unsigned number.
        let first = select("SELECT n FROM t LIMIT ?", vec![1_u64.into()]);
        assert_eq!(
            reads.query(&first, |row| row.get::<_, i64>(0)),
            Some(vec![7])
        );

        drop(reads);
        let next = LocalReads::new(SqliteFile::of_url(&url));
        assert_eq!(numbers(&next), Some(vec![7]));
        assert_eq!(
            CONNECTIONS.with(|c| c.borrow().len()),
            1,
            "the dropped owner's connection is closed"
        );
    }

    #[test]
    fn a_missing_file_is_never_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        let reads = LocalReads::new(SqliteFile::of_url(&format!("sqlite://{}", path.display())));
        assert!(reads.is_enabled());
        assert_eq!(
            reads.query(&select("SELECT 1", vec![]), |row| row.get::<_, i64>(0)),
            None
        );
        assert!(!path.exists());
    }

    #[test]
    fn the_writer_keeps_a_smaller_page_cache_than_sqlites_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        Connection::open(&path).unwrap();
        let writer = SqliteFile::of_url(&format!("sqlite://{}", path.display()))
            .unwrap()
            .open_for_writing()
            .unwrap();
        let cache: i64 = writer
            .pragma_query_value(None, "cache_size", |row| row.get(0))
            .unwrap();
        assert_eq!(cache, -WRITER_CACHE_KIB);
        let fresh: i64 = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "cache_size", |row| row.get(0))
            .unwrap();
        assert!(
            fresh < -WRITER_CACHE_KIB,
            "SQLite's default is larger: {fresh}"
        );
    }

    #[tokio::test]
    async fn writes_dates_and_times_as_the_pool_does() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
        let pool = Database::connect(&url).await.unwrap();
        pool.execute_unprepared("CREATE TABLE t (who TEXT, day TEXT, at TEXT)")
            .await
            .unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:09:10.123456Z")
            .unwrap()
            .to_utc();
        let day = at.date_naive();
        let insert = |who: &str| {
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t VALUES (?, ?, ?)",
                vec![who.into(), day.into(), at.into()],
            )
        };
        pool.execute_raw(insert("pool")).await.unwrap();
        let writer = SqliteFile::of_url(&url)
            .unwrap()
            .open_for_writing()
            .unwrap();
        assert_eq!(execute_on(&writer, &insert("here")).unwrap(), 1);

        let same = select(
            "SELECT a.day = b.day AND a.at = b.at FROM t a, t b \
             WHERE a.who = 'pool' AND b.who = 'here'",
            vec![],
        );
        assert_eq!(
            query_on(&writer, &same, |row| row.get::<_, bool>(0)).unwrap(),
            vec![true]
        );
    }
}
