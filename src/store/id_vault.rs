//! ID numbers at rest: sealed with XChaCha20-Poly1305 under a versioned key, and found by
//! an HMAC-SHA256 keyed hash. A plain hash would not do: the ID space is small and
//! structured enough to be enumerated in minutes. The database alone reveals no number.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, OsRng},
};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::PrivacySettings;

// Fixed keys for development, the demo and tests only; `serve` refuses to start on them.
const DEVELOPMENT_LOOKUP_KEY: [u8; 32] = *b"cunhub-dev-lookup-key-0123456789";
const DEVELOPMENT_ENCRYPTION_KEY: [u8; 32] = *b"cunhub-dev-encrypt-key-012345678";

/// Why the vault could not be built or could not open a sealed number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("setting `{0}`: a key must be 32 bytes in base64")]
    BadKey(String),
    #[error("setting `privacy.encryption_key_version`: version {0} has no key")]
    MissingVersion(u32),
    #[error("setting `privacy.lookup_key_version`: version {0} has no key")]
    MissingLookupVersion(u32),
    #[error(
        "setting `privacy.lookup_keys.1`: privacy.lookup_key is lookup key version 1 already; set one of them"
    )]
    TwoLookupKeysOne,
    #[error("a sealed ID number could not be opened (key version {0})")]
    Unsealable(u32),
}

/// A sealed ID number as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_version: u32,
    /// base64 of nonce || ciphertext.
    pub ciphertext: String,
}

/// The keyed hash of an ID number under one lookup key version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupHash {
    pub version: u32,
    /// Lower-case hex.
    pub hash: String,
}

/// Seals, opens and finds ID numbers.
pub struct IdVault {
    lookup: BTreeMap<u32, Hmac<Sha256>>,
    lookup_current: u32,
    keys: BTreeMap<u32, XChaCha20Poly1305>,
    current: u32,
    development_lookup: bool,
    development_encryption: bool,
}

impl IdVault {
    pub fn from_settings(settings: &PrivacySettings) -> Result<Self, VaultError> {
        let mut lookup_keys = versioned(&settings.lookup_keys, "privacy.lookup_keys")?;
        match &settings.lookup_key {
            Some(_) if lookup_keys.contains_key(&1) => return Err(VaultError::TwoLookupKeysOne),
            Some(secret) => {
                lookup_keys.insert(1, decode_key(secret.expose_secret(), "privacy.lookup_key")?);
            }
            None if lookup_keys.is_empty() => {
                lookup_keys.insert(1, DEVELOPMENT_LOOKUP_KEY);
            }
            None => {}
        }
        let development_lookup = lookup_keys.values().any(|k| *k == DEVELOPMENT_LOOKUP_KEY);
        let mut lookup = BTreeMap::new();
        for (version, key) in lookup_keys {
            let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
                .map_err(|_| VaultError::BadKey(format!("privacy.lookup_keys.{version}")))?;
            lookup.insert(version, mac);
        }
        let lookup_current = match settings.lookup_key_version {
            0 => lookup.keys().next_back().copied().unwrap_or(1),
            version if lookup.contains_key(&version) => version,
            version => return Err(VaultError::MissingLookupVersion(version)),
        };
        let mut encryption_keys = versioned(&settings.encryption_keys, "privacy.encryption_keys")?;
        if encryption_keys.is_empty() {
            encryption_keys.insert(1, DEVELOPMENT_ENCRYPTION_KEY);
        }
        let development_encryption = encryption_keys
            .values()
            .any(|k| *k == DEVELOPMENT_ENCRYPTION_KEY);
        let keys: BTreeMap<u32, XChaCha20Poly1305> = encryption_keys
            .into_iter()
            .map(|(version, key)| (version, XChaCha20Poly1305::new(&key.into())))
            .collect();
        let current = match settings.encryption_key_version {
            0 => keys.keys().next_back().copied().unwrap_or(1),
            version if keys.contains_key(&version) => version,
            version => return Err(VaultError::MissingVersion(version)),
        };
        Ok(Self {
            lookup,
            lookup_current,
            keys,
            current,
            development_lookup,
            development_encryption,
        })
    }

    /// Whether a built-in development key is in use.
    pub fn uses_development_keys(&self) -> bool {
        self.development_lookup || self.development_encryption
    }

    /// Whether a lookup key is the built-in development key (none configured, or it
    /// configured under some version).
    pub fn uses_development_lookup_key(&self) -> bool {
        self.development_lookup
    }

    /// Whether an encryption key is the built-in development key.
    pub fn uses_development_encryption_key(&self) -> bool {
        self.development_encryption
    }

    /// The encryption key version new numbers are sealed with.
    pub fn encryption_version(&self) -> u32 {
        self.current
    }

    /// The lookup key version new numbers are hashed with.
    pub fn lookup_version(&self) -> u32 {
        self.lookup_current
    }

    /// The keyed hash that finds an ID number (hex), under the current lookup version.
    pub fn lookup_hash(&self, id_number: &str) -> String {
        self.lookup_hash_under(self.lookup_current, id_number)
            .unwrap_or_default()
    }

    /// The keyed hash under lookup key `version`, if that version has a key.
    pub fn lookup_hash_under(&self, version: u32, id_number: &str) -> Option<String> {
        let mut mac = self.lookup.get(&version)?.clone();
        mac.update(id_number.as_bytes());
        Some(hex::encode(mac.finalize().into_bytes()))
    }

    /// The keyed hash under every configured lookup version, the current one first: in
    /// the middle of a rotation a resident is hashed under an older version.
    pub fn lookup_hashes(&self, id_number: &str) -> Vec<LookupHash> {
        let versions = std::iter::once(self.lookup_current).chain(
            self.lookup
                .keys()
                .rev()
                .copied()
                .filter(|v| *v != self.lookup_current),
        );
        versions
            .filter_map(|version| {
                self.lookup_hash_under(version, id_number)
                    .map(|hash| LookupHash { version, hash })
            })
            .collect()
    }

    pub fn seal(&self, id_number: &str) -> Sealed {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        // Encryption into a Vec cannot fail for inputs of this size.
        if let Some(cipher) = self.keys.get(&self.current)
            && let Ok(ciphertext) = cipher.encrypt(&nonce, id_number.as_bytes())
        {
            out.extend(ciphertext);
        }
        Sealed {
            key_version: self.current,
            ciphertext: STANDARD.encode(out),
        }
    }

    pub fn open(&self, sealed: &Sealed) -> Result<String, VaultError> {
        let fail = || VaultError::Unsealable(sealed.key_version);
        let cipher = self.keys.get(&sealed.key_version).ok_or_else(fail)?;
        let bytes = STANDARD.decode(&sealed.ciphertext).map_err(|_| fail())?;
        if bytes.len() < 24 {
            return Err(fail());
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| fail())?;
        let plain = cipher
            .decrypt(&XNonce::from(nonce), ciphertext)
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

/// Keys by version from a settings map, each named `{setting}.{version}` when unusable.
fn versioned(
    keys: &BTreeMap<String, secrecy::SecretString>,
    setting: &str,
) -> Result<BTreeMap<u32, [u8; 32]>, VaultError> {
    let mut out = BTreeMap::new();
    for (version, secret) in keys {
        let name = format!("{setting}.{version}");
        let number: u32 = version
            .parse()
            .ok()
            .filter(|v| *v > 0 && i32::try_from(*v).is_ok())
            .ok_or_else(|| VaultError::BadKey(name.clone()))?;
        out.insert(number, decode_key(secret.expose_secret(), &name)?);
    }
    Ok(out)
}

fn decode_key(text: &str, name: &str) -> Result<[u8; 32], VaultError> {
    STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| VaultError::BadKey(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    const ID: &str = "220122195603020017";

    #[test]
    fn sealed_numbers_open_and_do_not_show_the_number() {
        let vault =
            IdVault::from_settings(&PrivacySettings::default()).unwrap_or_else(|e| panic!("{e}"));
        let sealed = vault.seal(ID);
        assert!(!sealed.ciphertext.contains(ID));
        assert_ne!(vault.seal(ID), sealed, "a fresh nonce each time");
        assert_eq!(vault.open(&sealed).as_deref(), Ok(ID));
    }

    #[test]
    fn the_lookup_hash_is_keyed_and_stable() {
        let dev =
            IdVault::from_settings(&PrivacySettings::default()).unwrap_or_else(|e| panic!("{e}"));
        let settings = PrivacySettings {
            lookup_key: Some(SecretString::from(STANDARD.encode([7u8; 32]))),
            ..PrivacySettings::default()
        };
        let other = IdVault::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dev.lookup_hash(ID), dev.lookup_hash(ID));
        assert_ne!(dev.lookup_hash(ID), other.lookup_hash(ID));
        assert_eq!(dev.lookup_hash(ID).len(), 64);
    }

    #[test]
    fn old_key_versions_still_open_after_rotation() {
        let mut settings = PrivacySettings::default();
        settings
            .encryption_keys
            .insert("1".into(), SecretString::from(STANDARD.encode([1u8; 32])));
        let old = IdVault::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        let sealed = old.seal(ID);
        settings
            .encryption_keys
            .insert("2".into(), SecretString::from(STANDARD.encode([2u8; 32])));
        let rotated = IdVault::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rotated.seal(ID).key_version, 2);
        assert_eq!(rotated.open(&sealed).as_deref(), Ok(ID));
    }

    #[test]
    fn bad_keys_name_their_setting() {
        let settings = PrivacySettings {
            lookup_key: Some(SecretString::from("short")),
            ..PrivacySettings::default()
        };
        let err = IdVault::from_settings(&settings)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("privacy.lookup_key")));
    }

    #[test]
    fn the_lookup_key_rotates_and_every_version_still_finds() {
        let one = SecretString::from(STANDARD.encode([1u8; 32]));
        let before = IdVault::from_settings(&PrivacySettings {
            lookup_key: Some(one.clone()),
            ..PrivacySettings::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let mut settings = PrivacySettings {
            lookup_key: Some(one.clone()),
            ..PrivacySettings::default()
        };
        settings
            .lookup_keys
            .insert("2".into(), SecretString::from(STANDARD.encode([2u8; 32])));
        let rotated = IdVault::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((before.lookup_version(), rotated.lookup_version()), (1, 2));
        let hashes = rotated.lookup_hashes(ID);
        assert_eq!(
            hashes.iter().map(|h| h.version).collect::<Vec<_>>(),
            [2, 1],
            "the current version first"
        );
        assert_eq!(hashes[1].hash, before.lookup_hash(ID));
        assert_ne!(hashes[0].hash, hashes[1].hash);
        settings.lookup_key_version = 1;
        let pinned = IdVault::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pinned.lookup_hash(ID), before.lookup_hash(ID));
        settings.lookup_key_version = 3;
        assert_eq!(
            IdVault::from_settings(&settings).err(),
            Some(VaultError::MissingLookupVersion(3))
        );
        settings.lookup_key_version = 0;
        settings.lookup_keys.insert("1".into(), one);
        assert_eq!(
            IdVault::from_settings(&settings).err(),
            Some(VaultError::TwoLookupKeysOne)
        );
    }
}
