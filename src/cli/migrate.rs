//! `cunhub migrate`: the database schema up to date and the shipped data loaded.

use crate::{config::Settings, startup, store, telemetry};

pub async fn run(settings: Settings) -> Result<(), String> {
    // Nothing of this command is traced.
    let _ = telemetry::init(&settings.log, &Default::default());
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    let report = startup::prepare_database(&db)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "database is up to date; {} regions added",
        report.regions_added
    );
    Ok(())
}
