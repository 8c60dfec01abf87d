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

/// Serves the newest stored snapshot, then takes a new one every `interval`, until the
/// process ends.
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
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        ticks.tick().await;
        if let Err(err) = published.take(&db, threshold, chrono::Utc::now()).await {
            tracing::warn!(error = %err, "statistics snapshot not taken");
        }
    }
}
