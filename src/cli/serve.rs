//! `cunhub serve`: the hub, until SIGTERM or SIGINT.

use crate::{config::Settings, startup::Application, telemetry};

pub async fn run(settings: Settings) -> Result<(), String> {
    // A hub that would accept tokens anyone can mint does not start (`cunhub demo` is
    // the way to run on the development secret).
    settings
        .check_production()
        .map_err(|e| format!("refusing to serve: {e}"))?;
    // Nor one that would seal, find or sign with keys anyone can read in the source.
    super::keys::refuse_development_keys(&settings)
        .map_err(|e| format!("refusing to serve: {e}"))?;
    let telemetry = telemetry::init(&settings.log, &settings.tracing);
    let result = serve(settings).await;
    // The spans of the last requests leave before the process does.
    telemetry.close().await;
    result
}

async fn serve(settings: Settings) -> Result<(), String> {
    let mut app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    app.start_background_tasks();
    tracing::info!(address = %app.address(), "cunhub is listening");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}
