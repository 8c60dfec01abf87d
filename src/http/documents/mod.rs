//! Which document a request runs. A request may send the text (`query`), the id of a
//! registered document (`documentId`), or Apollo's automatic persisted query
//! (`extensions.persistedQuery.sha256Hash`, with or without the text). Registered
//! documents come from a manifest loaded at start; automatically persisted ones are
//! learnt from callers, except from those who may run registered documents only.

mod manifest;
mod settings;

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::{auth::Role, error::ErrorCode};
pub use manifest::{Manifest, ManifestError};
pub use settings::DocumentsSettings;

/// What a request names as its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    Text(String),
    Id(String),
    /// Apollo's automatic persisted query: the hash, and the text when the client sends
    /// it to register it.
    Hash {
        hash: String,
        text: Option<String>,
    },
}

/// Why a request's document is not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown hash or id: an automatic-persisted-query client sends the text next.
    NotFound,
    /// Automatic persisted queries are off: the client sends the text from now on.
    NotSupported,
    /// The caller may run registered documents only.
    NotInList,
    /// The text does not hash to the hash sent with it.
    HashMismatch,
}

impl Refusal {
    pub fn code(self) -> ErrorCode {
        match self {
            Self::NotFound => ErrorCode::PersistedQueryNotFound,
            Self::NotSupported => ErrorCode::PersistedQueryNotSupported,
            Self::NotInList => ErrorCode::PersistedQueryNotInList,
            Self::HashMismatch => ErrorCode::BadRequest,
        }
    }

    /// The message Apollo's link matches on (besides the code), or a plain one.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotFound => "PersistedQueryNotFound",
            Self::NotSupported => "PersistedQueryNotSupported",
            Self::NotInList => "only registered documents may be run by this caller",
            Self::HashMismatch => "provided sha does not match query",
        }
    }

    /// Whether the answer must be 200 whatever the media type: Apollo's link treats any
    /// other status as a network failure and never sends the text.
    pub fn answered_ok(self) -> bool {
        matches!(self, Self::NotFound | Self::NotSupported)
    }
}

/// Who must run registered documents only.
#[derive(Debug, Default)]
struct TrustedOnly {
    everyone: bool,
    anonymous: bool,
    roles: Vec<Role>,
    except: Vec<Role>,
}

impl TrustedOnly {
    fn from_entries(entries: &[String]) -> Self {
        let mut rule = Self::default();
        for entry in entries {
            match entry.strip_prefix('!') {
                Some(name) => rule.except.extend(Role::parse(name)),
                None if entry == "*" => rule.everyone = true,
                None if entry == "anonymous" => rule.anonymous = true,
                None => rule.roles.extend(Role::parse(entry)),
            }
        }
        rule
    }

    fn applies(&self, role: Option<Role>) -> bool {
        match role {
            None => self.everyone || self.anonymous,
            Some(role) => {
                (self.everyone || self.roles.contains(&role)) && !self.except.contains(&role)
            }
        }
    }
}

/// The registered documents and the automatically persisted queries.
pub struct Documents {
    trusted: Manifest,
    automatic: Option<Mutex<LruCache<String, Arc<str>>>>,
    trusted_only: TrustedOnly,
}

impl Documents {
    pub fn from_settings(settings: &DocumentsSettings) -> Result<Self, ManifestError> {
        let trusted = match &settings.manifest {
            Some(path) => Manifest::load(path)?,
            None => Manifest::default(),
        };
        if !trusted.is_empty() {
            tracing::info!(documents = trusted.len(), "registered documents loaded");
        }
        let automatic = settings
            .automatic
            .then(|| NonZeroUsize::new(settings.automatic_capacity))
            .flatten()
            .map(|capacity| Mutex::new(LruCache::new(capacity)));
        Ok(Self {
            trusted,
            automatic,
            trusted_only: TrustedOnly::from_entries(&settings.trusted_only),
        })
    }

    /// Whether a caller of `role` (`None`: anonymous) may run registered documents only.
    pub fn trusted_only(&self, role: Option<Role>) -> bool {
        self.trusted_only.applies(role)
    }

    /// The text to run for what was asked.
    pub fn resolve(&self, asked: Asked, trusted_only: bool) -> Result<String, Refusal> {
        match asked {
            Asked::Text(text) => {
                if trusted_only && self.trusted.by_hash(&sha256_hex(&text)).is_none() {
                    return Err(Refusal::NotInList);
                }
                Ok(text)
            }
            Asked::Id(id) => self
                .trusted
                .by_id(&id)
                .map(|document| document.to_string())
                .ok_or(Refusal::NotFound),
            Asked::Hash { hash, text } => {
                self.persisted(&hash.to_ascii_lowercase(), text, trusted_only)
            }
        }
    }

    fn persisted(
        &self,
        hash: &str,
        text: Option<String>,
        trusted_only: bool,
    ) -> Result<String, Refusal> {
        if let Some(document) = self.trusted.by_hash(hash) {
            return Ok(document.to_string());
        }
        if trusted_only {
            return Err(match text {
                Some(_) => Refusal::NotInList,
                None => Refusal::NotFound,
            });
        }
        let Some(cache) = &self.automatic else {
            return Err(Refusal::NotSupported);
        };
        let mut cache = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match text {
            None => cache
                .get(hash)
                .map(|document| document.to_string())
                .ok_or(Refusal::NotFound),
            Some(text) if sha256_hex(&text) != hash => Err(Refusal::HashMismatch),
            Some(text) => {
                cache.put(hash.to_owned(), Arc::from(text.as_str()));
                Ok(text)
            }
        }
    }
}

/// Lower-case hex SHA-256 of a document's text, as Apollo and graphql-codegen hash it.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "{ __typename }";

    fn documents(trusted_only: &[&str], automatic: bool) -> Documents {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("persisted-documents.json");
        let manifest = serde_json::json!({ sha256_hex(QUERY): QUERY, "relay-1": "{ regions { totalCount } }" });
        std::fs::write(&file, manifest.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let settings = DocumentsSettings {
            manifest: Some(dir.path().to_owned()),
            automatic,
            trusted_only: trusted_only.iter().map(|s| s.to_string()).collect(),
            ..DocumentsSettings::default()
        };
        Documents::from_settings(&settings).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn everyone_but_a_role_is_trusted_only() {
        let docs = documents(&["*", "!admin"], true);
        assert!(docs.trusted_only(None));
        assert!(docs.trusted_only(Some(Role::VillageAssistant)));
        assert!(!docs.trusted_only(Some(Role::Admin)));
        let docs = documents(&["village_assistant"], true);
        assert!(!docs.trusted_only(None));
        assert!(docs.trusted_only(Some(Role::VillageAssistant)));
        assert!(!docs.trusted_only(Some(Role::Police)));
    }

    #[test]
    fn registered_documents_run_by_id_hash_or_their_very_text() {
        let docs = documents(&["*"], true);
        let hash = sha256_hex(QUERY);
        assert_eq!(
            docs.resolve(Asked::Id(hash.clone()), true),
            Ok(QUERY.into())
        );
        assert_eq!(
            docs.resolve(Asked::Id(format!("sha256:{hash}")), true),
            Ok(QUERY.into())
        );
        assert!(docs.resolve(Asked::Id("relay-1".into()), true).is_ok());
        assert_eq!(
            docs.resolve(Asked::Hash { hash, text: None }, true),
            Ok(QUERY.into())
        );
        assert_eq!(
            docs.resolve(Asked::Text(QUERY.into()), true),
            Ok(QUERY.into())
        );
        assert_eq!(
            docs.resolve(Asked::Text("{ regions { totalCount } }".into()), true),
            Ok("{ regions { totalCount } }".into())
        );
        assert_eq!(
            docs.resolve(Asked::Text("{ other }".into()), true),
            Err(Refusal::NotInList)
        );
        assert_eq!(
            docs.resolve(Asked::Id("nope".into()), true),
            Err(Refusal::NotFound)
        );
    }

    #[test]
    fn automatic_queries_are_learnt_once_and_never_from_trusted_only_callers() {
        let docs = documents(&[], true);
        let text = "{ regions { totalCount } __typename }".to_owned();
        let hash = sha256_hex(&text);
        let ask = |text: Option<String>| Asked::Hash {
            hash: hash.clone(),
            text,
        };
        assert_eq!(docs.resolve(ask(None), false), Err(Refusal::NotFound));
        assert_eq!(
            docs.resolve(ask(Some(text.clone())), true),
            Err(Refusal::NotInList)
        );
        assert_eq!(docs.resolve(ask(None), false), Err(Refusal::NotFound));
        assert_eq!(
            docs.resolve(ask(Some("{ x }".into())), false),
            Err(Refusal::HashMismatch)
        );
        assert_eq!(
            docs.resolve(ask(Some(text.clone())), false),
            Ok(text.clone())
        );
        assert_eq!(docs.resolve(ask(None), false), Ok(text));
        assert_eq!(docs.resolve(ask(None), true), Err(Refusal::NotFound));
    }

    #[test]
    fn without_automatic_queries_a_hash_is_not_supported() {
        let docs = documents(&[], false);
        let ask = Asked::Hash {
            hash: sha256_hex("{ x }"),
            text: None,
        };
        assert_eq!(docs.resolve(ask, false), Err(Refusal::NotSupported));
    }
}
