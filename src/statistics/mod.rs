//! Statistics for dashboards: counts per village and period (rollups, never facts about
//! persons) written by the modules that see the work happen, and published snapshots of
//! indicators per region with small-cell suppression computed once per snapshot.

pub mod indicators;
pub mod population;
pub mod rollup;
mod settings;
pub mod snapshot;
pub mod suppress;
pub mod table;

pub use settings::StatisticsSettings;
pub use snapshot::Published;

/// Serves the newest stored snapshot, then takes a new one every `interval` (or less
/// often, see [`next_wait`]), until the process ends.
pub async fn snapshot_every(
    published: Published,
    db: sea_orm::DatabaseConnection,
    threshold: i64,
    interval: std::time::Duration,
) {
    // Serve the newest stored snapshot until this instance has taken its own.
    if let Err(err) = published.load_latest(&db).await {
        tracing::warn!(error = %err, "stored statistics snapshot not loaded");
    }
    let mut wait = interval;
    loop {
        tokio::time::sleep(wait).await;
        let started = std::time::Instant::now();
        if let Err(err) = published.take(&db, threshold, chrono::Utc::now()).await {
            tracing::warn!(error = %err, "statistics snapshot not taken");
        }
        wait = next_wait(interval, started.elapsed());
    }
}

/// The pause before the next snapshot: the interval, but never less than ten times what
/// the last one took, so that snapshots keep to a tenth of the hub's time however large
/// the province and however short the interval.
fn next_wait(interval: std::time::Duration, took: std::time::Duration) -> std::time::Duration {
    interval.max(took * 10)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::next_wait;

    #[test]
    fn snapshots_keep_to_a_tenth_of_the_time() {
        let minute = Duration::from_secs(60);
        assert_eq!(next_wait(minute, Duration::from_secs(2)), minute);
        assert_eq!(
            next_wait(minute, Duration::from_secs(45)),
            Duration::from_secs(450)
        );
    }
}
