//! `cunhub demo`: the simulators and the hub in one process.

use crate::{
    config::Settings,
    demo::{self, DemoArgs},
    telemetry,
};

pub async fn run(settings: Settings, args: DemoArgs) -> Result<(), String> {
    let mut log = settings.log.clone();
    // The demo's own output is the guide; keep the servers' start-up chatter out.
    if log.level == "info" {
        log.level = "warn,cunhub=info,cunhub::http=warn".into();
    }
    let telemetry = telemetry::init(&log, &settings.tracing);
    let result = demo::run(settings, args).await.map_err(|e| e.to_string());
    telemetry.close().await;
    result
}
