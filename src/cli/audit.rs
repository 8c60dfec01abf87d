//! `cunhub audit verify`: the access log's hash chain and its signed checkpoints.

use crate::{audit, config::Settings, startup, store};

pub async fn verify(settings: Settings) -> Result<(), String> {
    let db = store::connect(&settings.database)
        .await
        .map_err(|e| e.to_string())?;
    startup::prepare_database(&db)
        .await
        .map_err(|e| e.to_string())?;
    let key = audit::CheckpointKey::from_settings(&settings.audit).map_err(|e| e.to_string())?;
    if key.is_development() {
        eprintln!(
            "cunhub: warning: checking checkpoints with the development key; set audit.checkpoint_key"
        );
    }
    let report = audit::verify_with_key(&db, &key)
        .await
        .map_err(|e| e.to_string())?;
    match report.broken {
        None => {
            println!(
                "audit chain intact: {} records; {} checkpoints verify (key version {}), {} records after the newest checkpoint",
                report.records,
                report.checkpoints,
                key.version(),
                report.unsigned_records()
            );
            Ok(())
        }
        Some(link) => match link.checkpoint {
            None => Err(format!(
                "audit chain broken at record {}: {} ({} records before it verify)",
                link.id, link.reason, report.records
            )),
            Some(_) => Err(format!(
                "audit checkpoint broken: {} ({} records verify as a chain, {} checkpoints before it verify)",
                link.reason, report.records, report.checkpoints
            )),
        },
    }
}
