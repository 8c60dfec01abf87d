//! `cunhub screen --region CODE [--split]`: the cross-department checks over a region,
//! alone or shared with other processes on the same database.

use super::ScreenArgs;
use crate::{
    adapters::Departments,
    config::Settings,
    coordination::Coordination,
    domain::RegionCode,
    screening::{self, RunOptions, Screener},
    store::id_vault::IdVault,
    telemetry,
};

pub async fn run(settings: Settings, args: ScreenArgs) -> Result<(), String> {
    let telemetry = telemetry::init(&settings.log, &settings.tracing);
    let result = screen_region(&settings, args).await;
    telemetry.close().await;
    result
}

async fn screen_region(settings: &Settings, args: ScreenArgs) -> Result<(), String> {
    let region = RegionCode::parse(&args.region).map_err(|e| format!("--region: {e}"))?;
    let db = super::prepared_database(settings).await?;
    let vault = IdVault::from_settings(&settings.privacy).map_err(|e| e.to_string())?;
    let coordination = Coordination::new(&settings.coordination).map_err(|e| e.to_string())?;
    let departments = Departments::with_coordination(&settings.departments, &coordination)
        .map_err(|e| e.to_string())?;
    let bar = super::progress_bar("{spinner} {pos}/{len} villages [{bar:40}] {msg} eta {eta}");
    let screener = Screener {
        db: &db,
        vault: &vault,
        departments: &departments,
        department_settings: &settings.departments,
        settings: &settings.screening,
    };
    let options = RunOptions {
        max_villages: args.max_villages,
        today: None,
    };
    let report = if args.split {
        screener.run_split(&region, &options).await
    } else {
        screener
            .run(&region, &options, |p| {
                bar.set_length(p.villages_total);
                bar.set_position(p.villages_done);
                bar.set_message(format!("{} residents, {} alerts", p.residents, p.alerts));
            })
            .await
    };
    bar.finish_and_clear();
    let report = report.map_err(|e| format!("{e} (run the same command again to resume)"))?;
    println!("{}", screening::summary(&report));
    Ok(())
}
