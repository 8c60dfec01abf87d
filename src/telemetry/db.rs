//! Database calls counted per request, not traced one by one: the connection reports
//! each statement's time to [`record`], which adds it to the tally of the task it ran
//! in. The request's span gets the totals (`db.calls`, `db.duration_ms`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tracing::Instrument;

tokio::task_local! {
    static TALLY: Arc<Tally>;
}

/// Statements run and the time they took.
#[derive(Debug, Default)]
pub struct Tally {
    calls: AtomicU64,
    micros: AtomicU64,
}

impl Tally {
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::Relaxed))
    }
}

/// Adds one statement to the tally of the current task, if it keeps one.
pub fn record(elapsed: Duration) {
    let _ = TALLY.try_with(|tally| {
        tally.calls.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        tally.micros.fetch_add(micros, Ordering::Relaxed);
    });
}

/// Runs `future` with a tally of its own.
pub async fn tallied<F: Future>(tally: Arc<Tally>, future: F) -> F::Output {
    TALLY.scope(tally, future).await
}

/// `future`, to be spawned, made to keep the current span and tally: the work a request
/// hands to another task (a batched department or database load) stays in its trace.
pub fn carried<F>(future: F) -> impl Future<Output = F::Output> + Send + 'static
where
    F: Future + Send + 'static,
{
    let tally = TALLY.try_with(Arc::clone).ok();
    let future = future.instrument(tracing::Span::current());
    async move {
        match tally {
            Some(tally) => TALLY.scope(tally, future).await,
            None => future.await,
        }
    }
}

/// A spawner for `DataLoader`s: [`tokio::spawn`] of the [`carried`] future.
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(carried(future))
}
