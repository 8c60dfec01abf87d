//! Validation kept for documents already validated, by their text. An app sends the same
//! few documents over and over, and the library's validation walks each one with twenty
//! rules on every request: a seventh of a small request's instructions.
//!
//! Of those rules, only the check of argument values reads the request's variables; the
//! others, and the depth and complexity, depend on the document alone. So once a text has
//! passed validation, a later request with it skips the library's walk: it checks just
//! the arguments that take variables, with its own variables, and gets the very errors a
//! full validation would give. A document for which more than that would depend on the
//! variables ([`VariableArguments::of`]) is kept as one to validate in full, so that it
//! is not walked again. A text that failed validation, a request that names another
//! operation, or a text too long to keep is validated in full each time.
//! The hub's own checks (limits, dates) still run on every request.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, MutexGuard},
};

use async_graphql::{
    Request, ServerError, ValidationResult, Variables, parser::types::ExecutableDocument,
    registry::Registry,
};
use lru::LruCache;

mod arguments;
mod input_value;
#[cfg(test)]
mod tests;

pub use arguments::VariableArguments;
use arguments::only_operation;

/// How many texts are kept.
const KEPT: NonZeroUsize = NonZeroUsize::MIN.saturating_add(127);

/// Longer texts are validated on each request, as they are parsed on each request.
const LONGEST_KEPT: usize = super::parsed::LONGEST_KEPT;

/// What a text's first successful validation leaves for the requests after it.
struct Validated {
    /// The name of the document's only operation.
    operation: Option<String>,
    result: ValidationResult,
    arguments: VariableArguments,
}

/// What is known of a text from a request before.
#[derive(Clone)]
enum Known {
    Validated(Arc<Validated>),
    /// More than its arguments' values depends on the variables: validated in full.
    InFull,
}

/// The texts validated under one schema, most recently used kept.
pub struct ValidatedDocuments {
    kept: Mutex<LruCache<Arc<str>, Known>>,
}

impl Default for ValidatedDocuments {
    fn default() -> Self {
        Self {
            kept: Mutex::new(LruCache::new(KEPT)),
        }
    }
}

impl ValidatedDocuments {
    fn lock(&self) -> MutexGuard<'_, LruCache<Arc<str>, Known>> {
        // A panic while holding the lock leaves a consistent cache: entries are whole.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many texts are kept: (validated, to validate in full).
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let kept = self.lock();
        let validated = kept
            .iter()
            .filter(|(_, known)| matches!(known, Known::Validated(_)))
            .count();
        (validated, kept.len() - validated)
    }
}

/// One request's way through validation.
pub struct KnownValidation {
    documents: Arc<ValidatedDocuments>,
    state: Mutex<State>,
}

enum State {
    /// Validated in full, and not kept.
    Full,
    /// Validated before: the variables are to be checked after parsing.
    Known(Arc<Validated>),
    /// Not validated before: kept after validation if it passes.
    New {
        text: Arc<str>,
        operation: Option<String>,
    },
    /// Parsed, to be kept if it passes validation.
    Recording {
        text: Arc<str>,
        /// The name of the document's only operation.
        operation: Option<String>,
        arguments: VariableArguments,
    },
    /// The outcome of the known document's validation with this request's variables.
    Checked(Result<ValidationResult, Vec<ServerError>>),
}

impl KnownValidation {
    pub fn new(documents: Arc<ValidatedDocuments>) -> Self {
        Self {
            documents,
            state: Mutex::new(State::Full),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Before parsing: whether the request's text was validated before, for the
    /// operation the request names.
    pub fn prepared(&self, request: &Request) {
        let text = request.query.as_str();
        if text.len() > LONGEST_KEPT {
            return;
        }
        let known = self.documents.lock().get(text).cloned();
        *self.state() = match known {
            Some(Known::InFull) => State::Full,
            Some(Known::Validated(validated)) => match request.operation_name.as_deref() {
                Some(name) if validated.operation.as_deref() != Some(name) => State::Full,
                _ => State::Known(validated),
            },
            None => State::New {
                text: Arc::from(text),
                operation: request.operation_name.clone(),
            },
        };
    }

    /// After parsing: a known document's arguments are checked with this request's
    /// variables; a new one's arguments that take variables are found.
    pub fn parsed(
        &self,
        registry: &Registry,
        document: &ExecutableDocument,
        variables: &Variables,
    ) {
        let mut state = self.state();
        *state = match std::mem::replace(&mut *state, State::Full) {
            State::Known(validated) => match validated.arguments.check(registry, variables) {
                Ok(errors) if errors.is_empty() => State::Checked(Ok(validated.result)),
                Ok(errors) => State::Checked(Err(errors)),
                Err(_) => State::Full,
            },
            State::New { text, operation } => self.recording(registry, document, text, operation),
            other => other,
        };
    }

    /// What to keep of a new document if it passes validation. A document with several
    /// operations, or whose validation depends on more than its arguments' values, is
    /// kept at once as one to validate in full; a request that names another operation
    /// than the document's keeps nothing.
    fn recording(
        &self,
        registry: &Registry,
        document: &ExecutableDocument,
        text: Arc<str>,
        requested: Option<String>,
    ) -> State {
        let Some((name, operation)) = only_operation(document) else {
            return self.in_full(text);
        };
        let name = name.map(|name| name.to_string());
        if requested.is_some() && requested != name {
            return State::Full;
        }
        match VariableArguments::of(registry, document, operation) {
            Some(arguments) => State::Recording {
                text,
                operation: name,
                arguments,
            },
            None => self.in_full(text),
        }
    }

    /// `text` kept as one to validate in full.
    fn in_full(&self, text: Arc<str>) -> State {
        self.documents.lock().put(text, Known::InFull);
        State::Full
    }

    /// The validation's outcome kept for this request's document and variables, if any:
    /// then the library's validation is not run.
    pub fn outcome(&self) -> Option<Result<ValidationResult, Vec<ServerError>>> {
        let mut state = self.state();
        match std::mem::replace(&mut *state, State::Full) {
            State::Checked(outcome) => Some(outcome),
            other => {
                *state = other;
                None
            }
        }
    }

    /// After the library's validation: a document that passed it is kept.
    pub fn validated(&self, result: ValidationResult) {
        let State::Recording {
            text,
            operation,
            arguments,
        } = std::mem::replace(&mut *self.state(), State::Full)
        else {
            return;
        };
        let validated = Validated {
            operation,
            result,
            arguments,
        };
        self.documents
            .lock()
            .put(text, Known::Validated(Arc::new(validated)));
    }
}
