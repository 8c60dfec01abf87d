//! Reads registered operations. Three formats hold the same thing, an id per document:
//! graphql-codegen's client preset (`persisted-documents.json`) and Relay
//! (`persisted_queries.json`) write `{ "id": "document", … }`; Apollo's operation
//! manifest writes `{ "format": "apollo-persisted-query-manifest", "operations":
//! [{ "id", "body", … }] }`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use serde_json::Value;

use super::sha256_hex;

/// Registered documents by their id and by the SHA-256 of their text (which is how an
/// automatic-persisted-query hash names them).
#[derive(Debug, Default)]
pub struct Manifest {
    by_id: HashMap<String, Arc<str>>,
    by_hash: HashMap<String, Arc<str>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a manifest of operations: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{path}: id `{id}` names two different documents")]
    Clash { path: PathBuf, id: String },
}

impl Manifest {
    /// A manifest file, or every `*.json` of a folder.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let read_error = |source| ManifestError::Read {
            path: path.to_owned(),
            source,
        };
        let mut manifest = Self::default();
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(read_error)?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            for file in files {
                manifest.read_file(&file)?;
            }
        } else {
            manifest.read_file(path)?;
        }
        Ok(manifest)
    }

    fn read_file(&mut self, path: &Path) -> Result<(), ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        let format = |reason: String| ManifestError::Format {
            path: path.to_owned(),
            reason,
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        let Value::Object(object) = value else {
            return Err(format("not a JSON object".into()));
        };
        if object.get("format").and_then(Value::as_str) == Some("apollo-persisted-query-manifest") {
            let operations = object
                .get("operations")
                .and_then(Value::as_array)
                .ok_or_else(|| format("no `operations` list".into()))?;
            for operation in operations {
                let (Some(id), Some(body)) = (
                    operation.get("id").and_then(Value::as_str),
                    operation.get("body").and_then(Value::as_str),
                ) else {
                    return Err(format("an operation without `id` and `body`".into()));
                };
                self.insert(path, id, body)?;
            }
            return Ok(());
        }
        for (id, document) in &object {
            let Some(document) = document.as_str() else {
                return Err(format(format!("the document of `{id}` is not a string")));
            };
            self.insert(path, id, document)?;
        }
        Ok(())
    }

    fn insert(&mut self, path: &Path, id: &str, document: &str) -> Result<(), ManifestError> {
        let document: Arc<str> = Arc::from(document);
        if let Some(known) = self.by_id.get(id)
            && **known != *document
        {
            return Err(ManifestError::Clash {
                path: path.to_owned(),
                id: id.to_owned(),
            });
        }
        self.by_hash.insert(sha256_hex(&document), document.clone());
        self.by_id.insert(id.to_owned(), document);
        Ok(())
    }

    /// The document a `documentId` names: its id in the manifest, or `sha256:HASH`.
    pub fn by_id(&self, id: &str) -> Option<Arc<str>> {
        if let Some(document) = self.by_id.get(id) {
            return Some(document.clone());
        }
        id.strip_prefix("sha256:")
            .and_then(|hash| self.by_hash(hash))
    }

    /// The document whose text hashes to `hash` (lower-case hex SHA-256).
    pub fn by_hash(&self, hash: &str) -> Option<Arc<str>> {
        self.by_hash
            .get(&hash.to_ascii_lowercase())
            .or_else(|| self.by_id.get(hash))
            .cloned()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
