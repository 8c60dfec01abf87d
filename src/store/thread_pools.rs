//! A small pool of connections per thread, for the hot reads on a database server.
//!
//! A pooled connection's socket belongs to the runtime that opened it, and each server
//! worker is a runtime of its own: a read on a connection another worker opened waits
//! for that worker to look at its sockets, and the pool's bookkeeping crosses between
//! them. Here each thread that asks opens a few connections of its own, on its own
//! runtime, as it needs them. Where a thread's pool cannot be made (a URL its driver
//! refuses), that thread reads through the shared pool, as does every read when the
//! database is not a server.

use std::cell::RefCell;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};

use super::DatabaseSettings;
use super::thread_owner::{Entries, ThreadOwner};

/// Connections of each thread's own pool.
const PER_THREAD: u32 = 4;

/// The server the threads' pools connect to, and who those pools belong to.
#[derive(Debug)]
pub struct ThreadPools {
    settings: Option<DatabaseSettings>,
    /// When it is dropped (a rebuilt application), the threads' pools are let go.
    owner: ThreadOwner,
    on_statement: Option<fn(Duration)>,
}

thread_local! {
    /// This thread's pools, by the `ThreadPools` they belong to; `None` where one could
    /// not be made, so that it is not tried on every read.
    static POOLS: RefCell<Entries<Option<DatabaseConnection>>> =
        const { RefCell::new(Vec::new()) };
}

impl ThreadPools {
    /// Pools per thread on the database `settings` name, when it is a server
    /// (`backend`); none otherwise.
    pub fn new(settings: &DatabaseSettings, backend: DbBackend) -> Self {
        Self {
            settings: (backend == DbBackend::Postgres).then(|| DatabaseSettings {
                max_connections: settings.max_connections.clamp(1, PER_THREAD),
                ..settings.clone()
            }),
            owner: ThreadOwner::default(),
            on_statement: None,
        }
    }

    /// None at all: every read goes through the shared pool.
    pub fn none() -> Self {
        Self {
            settings: None,
            owner: ThreadOwner::default(),
            on_statement: None,
        }
    }

    /// Tells `callback` the time of each statement run on a thread's pool (the
    /// request's tally), as the shared pool tells its metric callback.
    pub fn on_statement(self, callback: fn(Duration)) -> Self {
        Self {
            on_statement: Some(callback),
            ..self
        }
    }

    /// The calling thread's pool, made now if it has none (it connects when a statement
    /// asks); `None` when the database is not a server or the pool could not be made (the
    /// caller reads through the shared pool).
    pub async fn here(&self) -> Option<DatabaseConnection> {
        let settings = self.settings.as_ref()?;
        let known = POOLS
            .try_with(|pools| self.owner.find_in(&pools.borrow()).cloned())
            .ok()?;
        if let Some(pool) = known {
            return pool;
        }
        let opened = match super::connect_lazily(settings).await {
            Ok(mut pool) => {
                if let Some(callback) = self.on_statement {
                    pool.set_metric_callback(move |info| callback(info.elapsed));
                }
                Some(pool)
            }
            Err(err) => {
                tracing::debug!(error = %err, "no pool on this thread; reading through the shared pool");
                None
            }
        };
        POOLS
            .try_with(|pools| {
                self.owner
                    .entry_in(&mut pools.borrow_mut(), || opened.clone());
            })
            .ok()?;
        opened
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_has_no_pools_per_thread() {
        let settings = DatabaseSettings::default();
        assert!(
            ThreadPools::new(&settings, DbBackend::Sqlite)
                .here()
                .await
                .is_none()
        );
        assert!(ThreadPools::none().here().await.is_none());
    }

    #[tokio::test]
    async fn a_threads_pool_is_made_once_and_connects_only_when_asked() {
        let settings = DatabaseSettings {
            // Nothing listens on port 1: a pool that connected at once would fail here.
            url: "postgres://nobody@127.0.0.1:1/none".into(),
            max_connections: 16,
        };
        let pools = ThreadPools::new(&settings, DbBackend::Postgres);
        assert_eq!(pools.settings.as_ref().unwrap().max_connections, PER_THREAD);
        let first = pools.here().await;
        assert!(first.is_some());
        assert_eq!(
            POOLS.with(|p| p.borrow().len()),
            1,
            "one pool on this thread"
        );
        assert!(pools.here().await.is_some());
        assert_eq!(POOLS.with(|p| p.borrow().len()), 1, "the same pool again");
        // Another owner's pool is its own; a dropped owner's is let go.
        drop(pools);
        let again = ThreadPools::new(&settings, DbBackend::Postgres);
        assert!(again.here().await.is_some());
        assert_eq!(
            POOLS.with(|p| p.borrow().len()),
            1,
            "the dropped owner's is gone"
        );
    }
}
