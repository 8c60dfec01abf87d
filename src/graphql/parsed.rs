//! Documents already parsed, by their text. An app sends the same few documents over and
//! over, and parsing one is a large part of a small request's cost. Only the parse is
//! kept here (what validation leaves is kept by [`super::validated`]): every limit and
//! the execution still run on each request, and a document that does not parse, or is
//! over the token limit, is left to the schema, which refuses it with its own error.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use lru::LruCache;

use super::limits::count_tokens;

/// Longer texts are parsed on each request: a few large documents would otherwise hold
/// the memory of many small ones.
pub(super) const LONGEST_KEPT: usize = 8 * 1024;

/// The most recently used documents, parsed.
pub struct ParsedDocuments {
    kept: Mutex<LruCache<Arc<str>, Arc<ExecutableDocument>>>,
    max_tokens: usize,
}

impl ParsedDocuments {
    /// Keeps up to `capacity` documents of at most `max_tokens` tokens each.
    pub fn new(capacity: NonZeroUsize, max_tokens: usize) -> Self {
        Self {
            kept: Mutex::new(LruCache::new(capacity)),
            max_tokens,
        }
    }

    /// `text` parsed: from the cache, or parsed now and kept. `None` when it is too long
    /// to keep, over the token limit or does not parse.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        if let Some(document) = self.lock().get(text) {
            return Some(ExecutableDocument::clone(document));
        }
        if text.len() > LONGEST_KEPT || count_tokens(text, self.max_tokens) > self.max_tokens {
            return None;
        }
        let document = parse_query(text).ok()?;
        self.lock().put(Arc::from(text), Arc::new(document.clone()));
        Some(document)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Arc<str>, Arc<ExecutableDocument>>> {
        // A panic while holding the lock leaves a consistent cache: entries are whole.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn documents(capacity: usize) -> ParsedDocuments {
        ParsedDocuments::new(NonZeroUsize::new(capacity).unwrap(), 100)
    }

    #[test]
    fn a_document_is_parsed_once_and_served_as_parsed() {
        let kept = documents(4);
        let text = "query Q($n: String!) { residentByIdNumber(idNumber: $n) { name } }";
        let first = kept.get(text).unwrap();
        let again = kept.get(text).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(
            format!("{first:?}"),
            format!("{:?}", parse_query(text).unwrap())
        );
    }

    #[test]
    fn what_does_not_parse_or_is_over_the_limit_is_left_to_the_schema() {
        let kept = documents(4);
        assert!(kept.get("{ resident(").is_none());
        let many = format!("{{ {} }}", "a ".repeat(200));
        assert!(kept.get(&many).is_none());
        assert!(
            kept.get(&format!("{{ a{} }}", "b".repeat(LONGEST_KEPT)))
                .is_none()
        );
        assert!(kept.is_empty());
    }

    #[test]
    fn the_least_recently_used_document_is_dropped_first() {
        let kept = documents(2);
        kept.get("{ a }").unwrap();
        kept.get("{ b }").unwrap();
        kept.get("{ a }").unwrap();
        kept.get("{ c }").unwrap();
        let lock = kept.lock();
        assert!(lock.contains("{ a }") && lock.contains("{ c }") && !lock.contains("{ b }"));
    }
}
