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

/// What is known of a text from a request before.
enum Known {
    /// Its first successful validation, for the requests after it.
    Validated {
        /// The name of the document's only operation.
        operation: Option<String>,
        result: ValidationResult,
        arguments: VariableArguments,
    },
    /// More than its arguments' values depends on the variables: validated in full.
    InFull,
}

/// The texts validated under one schema, most recently used kept.
pub struct ValidatedDocuments {
    kept: Mutex<LruCache<Arc<str>, Arc<Known>>>,
}

impl Default for ValidatedDocuments {
    fn default() -> Self {
        Self {
            kept: Mutex::new(LruCache::new(KEPT)),
        }
    }
}

impl ValidatedDocuments {
    fn lock(&self) -> MutexGuard<'_, LruCache<Arc<str>, Arc<Known>>> {
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
            .filter(|(_, known)| matches!(***known, Known::Validated { .. }))
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
    Known(Arc<Known>),
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
            Some(known) => match (&*known, request.operation_name.as_deref()) {
                (Known::InFull, _) => State::Full,
                (Known::Validated { operation, .. }, Some(name))
                    if operation.as_deref() != Some(name) =>
                {
                    State::Full
                }
                (Known::Validated { .. }, _) => State::Known(known),
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
            State::Known(known) => match &*known {
                Known::Validated {
                    result, arguments, ..
                } => match arguments.check(registry, variables) {
                    Ok(errors) if errors.is_empty() => State::Checked(Ok(*result)),
                    Ok(errors) => State::Checked(Err(errors)),
                    Err(_) => State::Full,
                },
                Known::InFull => State::Full,
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
        let found = only_operation(document).map(|(name, _)| name.map(|n| n.to_string()));
        let arguments = VariableArguments::of(registry, document);
        match (found, arguments) {
            (Some(operation), _) if requested.is_some() && requested != operation => State::Full,
            (Some(operation), Some(arguments)) => State::Recording {
                text,
                operation,
                arguments,
            },
            _ => {
                self.documents.lock().put(text, Arc::new(Known::InFull));
                State::Full
            }
        }
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
        let validated = Known::Validated {
            operation,
            result,
            arguments,
        };
        self.documents.lock().put(text, Arc::new(validated));
    }
}
