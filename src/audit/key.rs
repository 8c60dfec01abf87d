//! The key that signs checkpoints of the chain head. It lives in the settings, never in
//! the database: whoever can rewrite the log's tables still cannot sign a new head.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256, Sha512};

use super::AuditSettings;

/// The checkpoint key could not be used; the message names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointKeyError {
    #[error("audit.checkpoint_key is not base64")]
    NotBase64,
    #[error("audit.checkpoint_key must be 32 bytes, got {0}")]
    WrongLength(usize),
    #[error("audit.checkpoint_key_version must be between 1 and {}", i32::MAX)]
    BadVersion,
}

/// An HMAC-SHA256 key with its version. `Debug` never shows the key.
#[derive(Clone)]
pub struct CheckpointKey {
    version: u32,
    mac: Hmac<Sha256>,
    development: bool,
}

// Written by hand so that no formatting of the MAC state can reach a log line.
impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("version", &self.version)
            .field("key", &"[redacted]")
            .field("development", &self.development)
            .finish()
    }
}

// Public on purpose: it only exists so that a fresh install signs something.
const DEVELOPMENT_KEY_SEED: &str = "cunhub-development-audit-checkpoint-key-do-not-use";

impl CheckpointKey {
    /// The configured key, or the development key when none is set.
    pub fn from_settings(settings: &AuditSettings) -> Result<Self, CheckpointKeyError> {
        let version = settings.checkpoint_key_version;
        if version == 0 || i32::try_from(version).is_err() {
            return Err(CheckpointKeyError::BadVersion);
        }
        let Some(encoded) = &settings.checkpoint_key else {
            return Ok(Self::development());
        };
        let bytes = STANDARD
            .decode(encoded.expose_secret().trim())
            .map_err(|_| CheckpointKeyError::NotBase64)?;
        if bytes.len() != 32 {
            return Err(CheckpointKeyError::WrongLength(bytes.len()));
        }
        Self::new(version, &bytes)
    }

    /// A key of `version` from raw bytes.
    pub fn new(version: u32, bytes: &[u8]) -> Result<Self, CheckpointKeyError> {
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(bytes)
            .map_err(|_| CheckpointKeyError::WrongLength(bytes.len()))?;
        Ok(Self {
            version,
            mac,
            development: false,
        })
    }

    /// The well-known development key (version 1).
    pub fn development() -> Self {
        // One SHA-512 block is exactly HMAC-SHA256's key size, so no length can fail.
        let seed = Sha512::digest(DEVELOPMENT_KEY_SEED);
        Self {
            version: 1,
            mac: <Hmac<Sha256> as hmac::digest::KeyInit>::new(&seed),
            development: true,
        }
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether this is the built-in development key.
    pub fn is_development(&self) -> bool {
        self.development
    }

    fn hmac(&self, message: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(message);
        mac
    }

    /// The hex MAC of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.hmac(message).finalize().into_bytes())
    }

    /// Whether `mac_hex` is the MAC of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|mac| self.hmac(message).verify_slice(&mac).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn a_configured_key_must_be_32_bytes_of_base64() {
        let mut settings = AuditSettings {
            checkpoint_key: Some(SecretString::from("not base64!")),
            ..AuditSettings::default()
        };
        assert_eq!(
            CheckpointKey::from_settings(&settings).err(),
            Some(CheckpointKeyError::NotBase64)
        );
        settings.checkpoint_key = Some(SecretString::from(STANDARD.encode([1u8; 16])));
        assert_eq!(
            CheckpointKey::from_settings(&settings).err(),
            Some(CheckpointKeyError::WrongLength(16))
        );
        settings.checkpoint_key = Some(SecretString::from(STANDARD.encode([7u8; 32])));
        settings.checkpoint_key_version = 3;
        let key = CheckpointKey::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.version(), 3);
        assert!(!key.is_development());
        assert!(!format!("{key:?}").contains("7, 7"));
    }

    #[test]
    fn a_mac_verifies_only_under_its_key_and_message() {
        let key = CheckpointKey::new(1, &[9; 32]).unwrap_or_else(|e| panic!("{e}"));
        let mac = key.sign(b"head");
        assert!(key.verify(b"head", &mac));
        assert!(!key.verify(b"head2", &mac));
        assert!(!CheckpointKey::development().verify(b"head", &mac));
        assert!(!key.verify(b"head", "zz"));
    }
}
