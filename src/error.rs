//! Errors seen by clients, and the one place that maps them to stable codes in
//! `extensions.code`. Internal causes are logged, never returned.

use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError};

use std::sync::Arc;

use crate::{
    adapters::AdapterError,
    domain::{IdNumberError, RegionCodeError},
    policy::{AccessError, CaseRefError},
    screening::alert_actions::FollowUpError,
    store::{StoreError, idempotency::KeyError},
    workflow::WorkflowError,
};

/// Stable machine codes, frozen by tests: clients switch on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRegionCode,
    InvalidCursor,
    BadUserInput,
    Forbidden,
    Internal,
    DatabaseUnavailable,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    QueryTooDeep,
    QueryTooComplex,
    TooManyAliases,
    TooManyRootFields,
    TooManyTokens,
    InvalidToken,
    Unauthenticated,
    PurposeRequired,
    AuditUnavailable,
    InvalidIdNumber,
    DepartmentTimeout,
    DepartmentUnavailable,
    DepartmentError,
    BadRequest,
    NotAcceptable,
    UnsupportedMediaType,
    PayloadTooLarge,
    MethodNotAllowed,
    NotFound,
    Conflict,
    InvalidTransition,
    IdempotencyKeyReused,
    InvalidCaseRef,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
    PersistedQueryNotInList,
    RateLimited,
}

impl ErrorCode {
    /// Every code, for the message catalogue and its tests.
    pub const ALL: [ErrorCode; 35] = [
        Self::InvalidRegionCode,
        Self::InvalidCursor,
        Self::BadUserInput,
        Self::Forbidden,
        Self::Internal,
        Self::DatabaseUnavailable,
        Self::GraphqlParseFailed,
        Self::GraphqlValidationFailed,
        Self::QueryTooDeep,
        Self::QueryTooComplex,
        Self::TooManyAliases,
        Self::TooManyRootFields,
        Self::TooManyTokens,
        Self::InvalidToken,
        Self::Unauthenticated,
        Self::PurposeRequired,
        Self::AuditUnavailable,
        Self::InvalidIdNumber,
        Self::DepartmentTimeout,
        Self::DepartmentUnavailable,
        Self::DepartmentError,
        Self::BadRequest,
        Self::NotAcceptable,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::MethodNotAllowed,
        Self::NotFound,
        Self::Conflict,
        Self::InvalidTransition,
        Self::IdempotencyKeyReused,
        Self::InvalidCaseRef,
        Self::PersistedQueryNotFound,
        Self::PersistedQueryNotSupported,
        Self::PersistedQueryNotInList,
        Self::RateLimited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRegionCode => "INVALID_REGION_CODE",
            Self::InvalidCursor => "INVALID_CURSOR",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Forbidden => "FORBIDDEN",
            Self::Internal => "INTERNAL",
            Self::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::QueryTooDeep => "QUERY_TOO_DEEP",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::TooManyAliases => "TOO_MANY_ALIASES",
            Self::TooManyRootFields => "TOO_MANY_ROOT_FIELDS",
            Self::TooManyTokens => "TOO_MANY_TOKENS",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PurposeRequired => "PURPOSE_REQUIRED",
            Self::AuditUnavailable => "AUDIT_UNAVAILABLE",
            Self::InvalidIdNumber => "INVALID_ID_NUMBER",
            Self::DepartmentTimeout => "DEPARTMENT_TIMEOUT",
            Self::DepartmentUnavailable => "DEPARTMENT_UNAVAILABLE",
            Self::DepartmentError => "DEPARTMENT_ERROR",
            Self::BadRequest => "BAD_REQUEST",
            Self::NotAcceptable => "NOT_ACCEPTABLE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::InvalidTransition => "INVALID_TRANSITION",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::InvalidCaseRef => "INVALID_CASE_REF",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            Self::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            Self::RateLimited => "RATE_LIMITED",
        }
    }
}

/// What a resolver can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid region code: {0}")]
    InvalidRegionCode(#[from] RegionCodeError),
    #[error("invalid cursor: pass a cursor returned by this connection")]
    InvalidCursor,
    #[error("{0}")]
    BadUserInput(String),
    #[error("this operation is not allowed for your role or region")]
    Forbidden,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("invalid ID number: {0}")]
    InvalidIdNumber(#[from] IdNumberError),
    #[error("invalid case reference: {0}")]
    InvalidCaseRef(#[from] CaseRefError),
    #[error(transparent)]
    Department(#[from] AdapterError),
    #[error(transparent)]
    Store(Arc<StoreError>),
    #[error(transparent)]
    Workflow(Arc<WorkflowError>),
    #[error(transparent)]
    FollowUp(Arc<FollowUpError>),
    /// Bad arguments of one field, each named by its path.
    #[error("{}", describe_arguments(.0))]
    Arguments(Vec<ArgumentProblem>),
}

/// One bad argument or input field: its path from the argument's name down
/// (`["input", "idempotencyKey"]`) and what is wrong with it.
#[derive(Debug)]
pub struct ArgumentProblem {
    pub path: Vec<String>,
    pub error: AppError,
}

fn describe_arguments(problems: &[ArgumentProblem]) -> String {
    match problems {
        [one] => one.error.public_message(),
        many => {
            let each: Vec<String> = many
                .iter()
                .map(|p| format!("`{}`: {}", p.path.join("."), p.error.public_message()))
                .collect();
            format!("{} arguments are invalid: {}", many.len(), each.join("; "))
        }
    }
}

impl From<FollowUpError> for AppError {
    fn from(err: FollowUpError) -> Self {
        match err {
            FollowUpError::Store(err) => Self::Store(Arc::new(err)),
            other => Self::FollowUp(Arc::new(other)),
        }
    }
}

impl From<WorkflowError> for AppError {
    fn from(err: WorkflowError) -> Self {
        match err {
            WorkflowError::Store(err) => Self::Store(Arc::new(err)),
            other => Self::Workflow(Arc::new(other)),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        Self::Store(Arc::new(err))
    }
}

impl From<Arc<StoreError>> for AppError {
    fn from(err: Arc<StoreError>) -> Self {
        Self::Store(err)
    }
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Arguments(problems) => problems
                .first()
                .map_or(ErrorCode::BadUserInput, |p| p.error.code()),
            Self::InvalidRegionCode(_) => ErrorCode::InvalidRegionCode,
            Self::InvalidCursor => ErrorCode::InvalidCursor,
            Self::BadUserInput(_) => ErrorCode::BadUserInput,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::Access(AccessError::Unauthenticated) => ErrorCode::Unauthenticated,
            Self::Access(AccessError::Forbidden(_)) => ErrorCode::Forbidden,
            Self::Access(_) => ErrorCode::PurposeRequired,
            Self::InvalidIdNumber(_) => ErrorCode::InvalidIdNumber,
            Self::InvalidCaseRef(_) => ErrorCode::InvalidCaseRef,
            Self::Department(err) => match err.code() {
                "DEPARTMENT_TIMEOUT" => ErrorCode::DepartmentTimeout,
                "DEPARTMENT_UNAVAILABLE" => ErrorCode::DepartmentUnavailable,
                _ => ErrorCode::DepartmentError,
            },
            Self::Store(err) if matches!(**err, StoreError::Unavailable(_)) => {
                ErrorCode::DatabaseUnavailable
            }
            Self::Store(_) => ErrorCode::Internal,
            Self::Workflow(err) => match &**err {
                WorkflowError::NotFound(_) => ErrorCode::NotFound,
                WorkflowError::Forbidden(_) => ErrorCode::Forbidden,
                WorkflowError::Transition(_) | WorkflowError::AlreadyRated(_) => {
                    ErrorCode::InvalidTransition
                }
                WorkflowError::Conflict { .. } => ErrorCode::Conflict,
                WorkflowError::Key(KeyError::Reused) | WorkflowError::IdReused { .. } => {
                    ErrorCode::IdempotencyKeyReused
                }
                WorkflowError::Stale(_) => ErrorCode::Conflict,
                WorkflowError::Key(KeyError::Malformed)
                | WorkflowError::BadInput(..)
                | WorkflowError::Item(_) => ErrorCode::BadUserInput,
                WorkflowError::Store(StoreError::Unavailable(_)) => ErrorCode::DatabaseUnavailable,
                WorkflowError::Store(_) => ErrorCode::Internal,
            },
            Self::FollowUp(err) => match &**err {
                FollowUpError::NotFound => ErrorCode::NotFound,
                FollowUpError::Forbidden(_) => ErrorCode::Forbidden,
                FollowUpError::Stale => ErrorCode::Conflict,
                FollowUpError::Key(KeyError::Reused) => ErrorCode::IdempotencyKeyReused,
                FollowUpError::Key(KeyError::Malformed) | FollowUpError::BadInput(..) => {
                    ErrorCode::BadUserInput
                }
                FollowUpError::Store(StoreError::Unavailable(_)) => ErrorCode::DatabaseUnavailable,
                FollowUpError::Store(_) => ErrorCode::Internal,
            },
        }
    }

    /// The message a client sees: the cause of an internal failure stays in the log.
    fn public_message(&self) -> String {
        match self {
            Self::Store(err) if matches!(**err, StoreError::Unavailable(_)) => {
                "the hub's database is unavailable; try again".into()
            }
            Self::Store(_) => "internal error".into(),
            Self::Workflow(err) if matches!(**err, WorkflowError::Store(_)) => {
                "internal error".into()
            }
            Self::FollowUp(err) if matches!(**err, FollowUpError::Store(_)) => {
                "internal error".into()
            }
            Self::Arguments(problems) => describe_arguments(problems),
            other => other.to_string(),
        }
    }
}

// async-graphql turns any `Display` into an error without a code, so resolvers convert
// through this impl (via `ResultExt::or_graphql`) rather than `?` on an `AppError`.
impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let AppError::Store(cause) = self {
            tracing::error!(error = %cause, "storage failure in a resolver");
        }
        let code = self.code();
        let department = match self {
            Self::Department(err) => Some(err.department().as_str()),
            _ => None,
        };
        // A conflict tells the client which version to reload to, and where it stands.
        let current = match self {
            Self::Workflow(err) => match &**err {
                WorkflowError::Conflict {
                    current, status, ..
                } => Some((*current, status.code())),
                _ => None,
            },
            _ => None,
        };
        // Bad arguments are named by their paths, all of them; a mutation's bad input
        // value by its field of `input`.
        let input_field = match self {
            Self::Workflow(err) => match &**err {
                WorkflowError::BadInput(field, _) => Some(*field),
                WorkflowError::Key(KeyError::Malformed) => Some("idempotencyKey"),
                _ => None,
            },
            Self::FollowUp(err) => match &**err {
                FollowUpError::BadInput(field, _) => Some(*field),
                FollowUpError::Key(KeyError::Malformed) => Some("idempotencyKey"),
                _ => None,
            },
            _ => None,
        };
        let arguments = match self {
            Self::Arguments(problems) => Some(argument_extensions(problems)),
            _ => input_field.map(|field| {
                argument_extensions(&[ArgumentProblem {
                    path: vec!["input".to_owned(), field.to_owned()],
                    error: AppError::BadUserInput(self.public_message()),
                }])
            }),
        };
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if let Some((first, all)) = &arguments {
                ext.set("argumentPath", first.clone());
                ext.set("problems", all.clone());
            }
            if let Some(department) = department {
                ext.set("department", department);
            }
            if let Some((version, status)) = current {
                ext.set("currentVersion", version);
                ext.set("currentStatus", status);
            }
        })
    }
}

/// The `argumentPath` of the first problem and the `problems` list of all of them.
fn argument_extensions(
    problems: &[ArgumentProblem],
) -> (async_graphql::Value, async_graphql::Value) {
    use async_graphql::{Name, Value};
    let path = |p: &ArgumentProblem| {
        Value::List(p.path.iter().map(|s| Value::String(s.clone())).collect())
    };
    let first = problems.first().map_or(Value::Null, path);
    let all = problems
        .iter()
        .map(|p| {
            Value::Object(
                [
                    (Name::new("argumentPath"), path(p)),
                    (
                        Name::new("code"),
                        Value::String(p.error.code().as_str().into()),
                    ),
                    (
                        Name::new("message"),
                        Value::String(p.error.public_message()),
                    ),
                ]
                .into_iter()
                .collect(),
            )
        })
        .collect();
    (first, Value::List(all))
}

/// Converts a resolver's typed failure into a GraphQL error with its code.
pub trait ResultExt<T> {
    fn or_graphql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<AppError>> ResultExt<T> for Result<T, E> {
    fn or_graphql(self) -> async_graphql::Result<T> {
        self.map_err(|err| err.into().extend())
    }
}

/// A request-level error (no `path`) carrying `code`.
pub fn request_error(code: ErrorCode, message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

/// Gives the errors async-graphql raises itself (parse and validation failures) a code,
/// so that every error a client sees has one.
pub fn classify(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    // Parse failures are coded where the document is parsed (graphql::limits).
    let code = if error.path.is_empty() {
        ErrorCode::GraphqlValidationFailed
    } else {
        ErrorCode::Internal
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_app_error_maps_to_a_stable_code() {
        let cases = [
            (
                AppError::InvalidRegionCode(RegionCodeError::WrongLength(3)),
                "INVALID_REGION_CODE",
            ),
            (AppError::InvalidCursor, "INVALID_CURSOR"),
            (AppError::BadUserInput("x".into()), "BAD_USER_INPUT"),
            (AppError::Forbidden, "FORBIDDEN"),
            (
                AppError::InvalidCaseRef(CaseRefError::TooLong(129)),
                "INVALID_CASE_REF",
            ),
            (
                StoreError::Unavailable("x".into()).into(),
                "DATABASE_UNAVAILABLE",
            ),
            (StoreError::Data("x".into()).into(), "INTERNAL"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code().as_str(), code);
        }
    }

    #[test]
    fn internal_causes_are_not_returned() {
        let err = AppError::from(StoreError::Data("table region is broken".into())).extend();
        assert_eq!(err.message, "internal error");
    }
}
