//! `cunhub sync --region CODE`: household registration into the resident index.

use super::SyncArgs;
use crate::{
    adapters::Departments, config::Settings, coordination::Coordination, domain::RegionCode,
    store::id_vault::IdVault, sync, telemetry,
};

pub async fn run(settings: Settings, args: SyncArgs) -> Result<(), String> {
    let telemetry = telemetry::init(&settings.log, &settings.tracing);
    let result = sync_region(&settings, args).await;
    telemetry.close().await;
    result
}

async fn sync_region(settings: &Settings, args: SyncArgs) -> Result<(), String> {
    let region = RegionCode::parse(&args.region).map_err(|e| format!("--region: {e}"))?;
    let db = super::prepared_database(settings).await?;
    let vault = IdVault::from_settings(&settings.privacy).map_err(|e| e.to_string())?;
    let coordination = Coordination::new(&settings.coordination).map_err(|e| e.to_string())?;
    let departments = Departments::with_coordination(&settings.departments, &coordination)
        .map_err(|e| e.to_string())?;
    let bar = super::progress_bar("{spinner} {pos}/{len} residents [{bar:40}] {per_sec} eta {eta}");
    let report = sync::from_register(&db, &vault, &departments, &region, |seen, total| {
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(seen);
    })
    .await;
    bar.finish_and_clear();
    let report = report.map_err(|e| format!("{e} (run the same command again to resume)"))?;
    println!(
        "{region}: {} registrations seen{}; {} added, {} changed, {} moved out, {} deceased",
        report.seen,
        if report.resumed { " (resumed)" } else { "" },
        report.added,
        report.changed,
        report.moved_out,
        report.deceased
    );
    Ok(())
}
