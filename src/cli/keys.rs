//! `cunhub keys rotate`, and the hub's own keys in production: `serve` refuses the public
//! development keys, and `keys rotate` moves the resident index to the current key versions.

use super::KeysCommand;
use crate::{
    audit::CheckpointKeyring,
    config::Settings,
    store::{
        self,
        id_vault::IdVault,
        rotate::{RotateOptions, RotateReport},
    },
    telemetry,
};

/// How to make a key for any of the settings below.
pub const GENERATE: &str = "openssl rand -base64 32";

/// A key setting that would fall back to, or is, a public development key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevelopmentKey {
    pub setting: &'static str,
    pub environment: &'static str,
    /// What the key protects.
    pub purpose: &'static str,
}

/// Every key setting of `settings` that is a development key (the token secret is
/// [`Settings::check_production`]'s).
pub fn development_keys(settings: &Settings) -> Result<Vec<DevelopmentKey>, String> {
    let mut found = Vec::new();
    // The whole ring, so that a retired key that cannot be used is named at start-up
    // rather than at the next `audit verify`.
    let checkpoint =
        CheckpointKeyring::from_settings(&settings.audit).map_err(|e| e.to_string())?;
    if checkpoint.current().is_development() {
        found.push(DevelopmentKey {
            setting: "audit.checkpoint_key",
            environment: "CUNHUB_AUDIT_CHECKPOINT_KEY",
            purpose: "signs the audit log's checkpoints",
        });
    }
    let vault = IdVault::from_settings(&settings.privacy).map_err(|e| e.to_string())?;
    if vault.uses_development_lookup_key() {
        found.push(DevelopmentKey {
            setting: "privacy.lookup_key",
            environment: "CUNHUB_PRIVACY_LOOKUP_KEY",
            purpose: "finds residents by the keyed hash of their ID number",
        });
    }
    if vault.uses_development_encryption_key() {
        found.push(DevelopmentKey {
            setting: "privacy.encryption_keys",
            environment: "CUNHUB_PRIVACY_ENCRYPTION_KEYS",
            purpose: "seals ID numbers at rest, by version: {1 = \"KEY\"}",
        });
    }
    Ok(found)
}

/// `Err` naming each development key and how to make a real one.
pub fn refuse_development_keys(settings: &Settings) -> Result<(), String> {
    let found = development_keys(settings)?;
    if found.is_empty() {
        return Ok(());
    }
    let mut message = String::from(
        "the public development keys would be used; configure a key of your own for each of:",
    );
    for key in found {
        message.push_str(&format!(
            "\n  {} ({}): {}",
            key.setting, key.environment, key.purpose
        ));
    }
    message.push_str(&format!(
        "\ngenerate each key with `{GENERATE}` (`cunhub demo` runs on the development keys)"
    ));
    Err(message)
}

/// `cunhub keys rotate`: the index moved to the current key versions, with a progress bar
/// and a summary.
/// `cunhub keys rotate`.
pub async fn run(settings: Settings, command: KeysCommand) -> Result<(), String> {
    let KeysCommand::Rotate(args) = command;
    // Nothing of this command is traced.
    let _ = telemetry::init(&settings.log, &Default::default());
    let options = RotateOptions {
        page_size: args.page_size,
        max_residents: args.max_residents,
    };
    rotate_command(&settings, &options).await
}

async fn rotate_command(settings: &Settings, options: &RotateOptions) -> Result<(), String> {
    let db = super::prepared_database(settings).await?;
    let vault = IdVault::from_settings(&settings.privacy).map_err(|e| e.to_string())?;
    let bar = super::progress_bar("{spinner} {pos}/{len} residents [{bar:40}] {per_sec} eta {eta}");
    let report = store::rotate::rotate(&db, &vault, options, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    let report = report.map_err(|e| format!("{e} (run the same command again to continue)"))?;
    println!("{}", summary(&report));
    Ok(())
}

/// The line `keys rotate` ends with.
pub fn summary(report: &RotateReport) -> String {
    let versions = format!(
        "encryption key version {}, lookup key version {}",
        report.encryption_version, report.lookup_version
    );
    if report.remaining == 0 {
        format!(
            "{} residents rotated; every resident is under {versions}: older keys can be removed from the settings",
            report.rotated
        )
    } else {
        format!(
            "{} residents rotated to {versions}; {} remain (run the same command again to continue)",
            report.rotated, report.remaining
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::STANDARD};
    use secrecy::SecretString;

    fn key(byte: u8) -> SecretString {
        SecretString::from(STANDARD.encode([byte; 32]))
    }

    #[test]
    fn every_development_key_is_named_until_configured() {
        let mut settings = Settings::default();
        let named = |s: &Settings| -> Vec<&'static str> {
            development_keys(s)
                .unwrap_or_else(|e| panic!("{e}"))
                .iter()
                .map(|k| k.setting)
                .collect()
        };
        assert_eq!(
            named(&settings),
            [
                "audit.checkpoint_key",
                "privacy.lookup_key",
                "privacy.encryption_keys"
            ]
        );
        settings.audit.checkpoint_key = Some(key(1));
        settings.privacy.lookup_keys.insert("2".into(), key(2));
        assert_eq!(named(&settings), ["privacy.encryption_keys"]);
        // The development key itself, configured, is no better.
        settings.privacy.encryption_keys.insert(
            "1".into(),
            SecretString::from(STANDARD.encode(b"cunhub-dev-encrypt-key-012345678")),
        );
        assert_eq!(named(&settings), ["privacy.encryption_keys"]);
        settings.privacy.encryption_keys.insert("1".into(), key(3));
        assert!(named(&settings).is_empty());
        assert!(refuse_development_keys(&settings).is_ok());
    }
}
