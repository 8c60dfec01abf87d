//! The key that signs checkpoints of the chain head. It lives in the settings, never in
//! the database: whoever can rewrite the log's tables still cannot sign a new head.

use std::collections::BTreeMap;

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
    #[error(
        "audit.retired_checkpoint_keys.{0}: a key must be 32 bytes in base64, under a positive version"
    )]
    BadRetiredKey(String),
    #[error(
        "audit.retired_checkpoint_keys.{0}: version {0} is the current audit.checkpoint_key_version"
    )]
    RetiredIsCurrent(u32),
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

/// The current checkpoint key and the retired keys the settings still list, by version:
/// checkpoints signed before a rotation keep verifying as long as their key is listed.
#[derive(Debug, Clone)]
pub struct CheckpointKeyring {
    current: CheckpointKey,
    retired: BTreeMap<u32, CheckpointKey>,
}

impl CheckpointKeyring {
    /// `audit.checkpoint_key` and `audit.retired_checkpoint_keys`.
    pub fn from_settings(settings: &AuditSettings) -> Result<Self, CheckpointKeyError> {
        let current = CheckpointKey::from_settings(settings)?;
        let mut retired = BTreeMap::new();
        for (name, secret) in &settings.retired_checkpoint_keys {
            let bad = || CheckpointKeyError::BadRetiredKey(name.clone());
            let version: u32 = name
                .parse()
                .ok()
                .filter(|v| *v > 0 && i32::try_from(*v).is_ok())
                .ok_or_else(bad)?;
            if version == current.version() {
                return Err(CheckpointKeyError::RetiredIsCurrent(version));
            }
            let bytes = STANDARD
                .decode(secret.expose_secret().trim())
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(bad)?;
            retired.insert(
                version,
                CheckpointKey::new(version, &bytes).map_err(|_| bad())?,
            );
        }
        Ok(Self { current, retired })
    }

    /// A ring of one key.
    pub fn single(current: CheckpointKey) -> Self {
        Self {
            current,
            retired: BTreeMap::new(),
        }
    }

    /// The key new checkpoints are signed with.
    pub fn current(&self) -> &CheckpointKey {
        &self.current
    }

    /// The key of `version`, current or retired.
    pub fn get(&self, version: u32) -> Option<&CheckpointKey> {
        if version == self.current.version() {
            Some(&self.current)
        } else {
            self.retired.get(&version)
        }
    }

    /// The retired versions still listed.
    pub fn retired_versions(&self) -> Vec<u32> {
        self.retired.keys().copied().collect()
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

    #[test]
    fn retired_keys_are_found_by_version_and_named_when_unusable() {
        let mut settings = AuditSettings {
            checkpoint_key: Some(SecretString::from(STANDARD.encode([2u8; 32]))),
            checkpoint_key_version: 2,
            ..AuditSettings::default()
        };
        settings
            .retired_checkpoint_keys
            .insert("1".into(), SecretString::from(STANDARD.encode([1u8; 32])));
        let ring = CheckpointKeyring::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ring.current().version(), 2);
        assert_eq!(ring.retired_versions(), [1]);
        let old = CheckpointKey::new(1, &[1; 32]).unwrap_or_else(|e| panic!("{e}"));
        let mac = old.sign(b"head");
        assert!(ring.get(1).is_some_and(|k| k.verify(b"head", &mac)));
        assert!(ring.get(3).is_none());
        settings
            .retired_checkpoint_keys
            .insert("x".into(), SecretString::from(STANDARD.encode([1u8; 32])));
        assert_eq!(
            CheckpointKeyring::from_settings(&settings).err(),
            Some(CheckpointKeyError::BadRetiredKey("x".into()))
        );
        settings.retired_checkpoint_keys.clear();
        settings
            .retired_checkpoint_keys
            .insert("2".into(), SecretString::from(STANDARD.encode([1u8; 32])));
        assert_eq!(
            CheckpointKeyring::from_settings(&settings).err(),
            Some(CheckpointKeyError::RetiredIsCurrent(2))
        );
    }
}
