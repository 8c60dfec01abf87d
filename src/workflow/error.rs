//! Why a workflow operation was refused.

use super::{
    catalogue::ItemError,
    lifecycle::{Status, TransitionError},
    requests::ChangeError,
};
use crate::store::{StoreError, idempotency::KeyError};

/// Why a workflow operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Absent, or outside the caller's scope (the two look alike).
    #[error("no such {0} (or not within your scope)")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(
        "the request changed since version {expected}: it is now version {current}; reload it and decide again"
    )]
    Conflict {
        expected: i32,
        current: i32,
        status: Status,
    },
    /// A request is rated once.
    #[error("the request was already rated (at {0}): a request is rated once")]
    AlreadyRated(chrono::DateTime<chrono::Utc>),
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A client-generated id already names a record with other content.
    #[error("the {what} id {id} was already used for a {what} with other content")]
    IdReused { what: &'static str, id: String },
    /// The record changed between reading and writing it (another caller acted first).
    #[error("the {0} changed meanwhile: reload it and decide again")]
    Stale(&'static str),
    /// A value of the input that cannot be taken: the input field (as the API names it)
    /// and why.
    #[error("{1}")]
    BadInput(&'static str, String),
    #[error(transparent)]
    Item(#[from] ItemError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for WorkflowError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

impl From<ChangeError> for WorkflowError {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::Conflict {
                expected,
                current,
                status,
            } => Self::Conflict {
                expected,
                current,
                status,
            },
            ChangeError::Store(err) => Self::Store(err),
        }
    }
}
