//! `cunhub audit verify`: the access log's hash chain and its signed checkpoints.

use crate::{audit, config::Settings};

pub async fn verify(settings: Settings) -> Result<(), String> {
    let db = super::prepared_database(&settings).await?;
    let keys =
        audit::CheckpointKeyring::from_settings(&settings.audit).map_err(|e| e.to_string())?;
    let key = keys.current();
    if key.is_development() {
        eprintln!(
            "cunhub: warning: checking checkpoints with the development key; set audit.checkpoint_key"
        );
    }
    let report = audit::verify_with_keys(&db, &keys)
        .await
        .map_err(|e| e.to_string())?;
    let retired = keys.retired_versions();
    let versions = if retired.is_empty() {
        format!("key version {}", key.version())
    } else {
        let retired: Vec<String> = retired.iter().map(u32::to_string).collect();
        format!(
            "key version {}, retired versions {}",
            key.version(),
            retired.join(", ")
        )
    };
    match report.broken {
        None => {
            println!(
                "audit chain intact: {} records; {} checkpoints verify ({versions}), {} records after the newest checkpoint",
                report.records,
                report.checkpoints,
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
