//! The one error type of every department call.
//!
//! A message names the department and the kind of failure only. It never carries the
//! department's URL, a credential or token, an ID number or any part of the raw answer:
//! these errors travel to GraphQL clients and into logs.

use std::time::Duration;

use crate::domain::Department;

/// Why a call to a department failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// The department has no base URL (or credentials) in the settings.
    #[error("{department} is not configured")]
    NotConfigured { department: Department },
    /// No answer before the call's deadline (or the per-call timeout).
    #[error("{department} did not answer in time")]
    Timeout { department: Department },
    /// The department could not be reached, or its gateway answered that it is down.
    #[error("{department} is unavailable ({reason})")]
    Unavailable {
        department: Department,
        reason: Unavailability,
    },
    /// The hub's circuit breaker is open after repeated failures: no call was made.
    #[error("{department} is not called for a while after repeated failures")]
    CircuitOpen { department: Department },
    /// The department asked the hub to slow down (HTTP 429).
    #[error("{department} is rate limiting the hub")]
    RateLimited {
        department: Department,
        /// The wait the department asked for, when it said.
        retry_after: Option<Duration>,
    },
    /// The department answered that it is busy ("system busy", too many calls in flight).
    #[error("{department} is busy")]
    Busy { department: Department },
    /// The department refused the call itself (credentials, a malformed request).
    #[error("{department} refused the call ({reason})")]
    Rejected {
        department: Department,
        reason: Rejection,
    },
    /// The department reported a failure of its own, with its failure code.
    #[error("{department} reported a failure (code {code})")]
    Department {
        department: Department,
        /// The department's own failure code, e.g. `9999` or `-1`.
        code: String,
    },
    /// The answer could not be read: what was wrong, never the answer itself.
    #[error("{department} gave an answer the hub cannot read: {what}")]
    Decode {
        department: Department,
        what: String,
    },
    /// The hub was asked for something the department cannot be asked (e.g. a bad code).
    #[error("{department} cannot be asked this: {what}")]
    InvalidInput {
        department: Department,
        what: String,
    },
}

/// How a department is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailability {
    /// No connection could be made.
    Connect,
    /// The connection broke before the whole answer arrived.
    ConnectionLost,
    /// An HTTP 5xx status without a readable department answer.
    Status(u16),
}

impl std::fmt::Display for Unavailability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect => f.write_str("no connection"),
            Self::ConnectionLost => f.write_str("connection lost"),
            Self::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

/// Why a department refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The hub's credentials were missing, wrong or expired (401).
    Unauthorized,
    /// The credentials do not allow this call (403).
    Forbidden,
    /// The department found the request malformed (400).
    BadRequest,
    /// The department's register has no such region, or nobody registered in it.
    UnknownRegion,
    /// Another 4xx status.
    Status(u16),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("not authorised"),
            Self::Forbidden => f.write_str("forbidden"),
            Self::BadRequest => f.write_str("bad request"),
            Self::UnknownRegion => f.write_str("no such region, or nobody registered in it"),
            Self::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

/// The kind of a failure, without its details: for counters, metrics and outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    NotConfigured,
    Timeout,
    Unavailable,
    CircuitOpen,
    RateLimited,
    Busy,
    Rejected,
    Department,
    Decode,
    InvalidInput,
}

impl ErrorKind {
    /// A stable snake_case name (metrics labels, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::CircuitOpen => "circuit_open",
            Self::RateLimited => "rate_limited",
            Self::Busy => "busy",
            Self::Rejected => "rejected",
            Self::Department => "department_error",
            Self::Decode => "decode",
            Self::InvalidInput => "invalid_input",
        }
    }
}

impl AdapterError {
    /// The department that failed.
    pub fn department(&self) -> Department {
        match self {
            Self::NotConfigured { department }
            | Self::Timeout { department }
            | Self::Unavailable { department, .. }
            | Self::CircuitOpen { department }
            | Self::RateLimited { department, .. }
            | Self::Busy { department }
            | Self::Rejected { department, .. }
            | Self::Department { department, .. }
            | Self::Decode { department, .. }
            | Self::InvalidInput { department, .. } => *department,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotConfigured { .. } => ErrorKind::NotConfigured,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::CircuitOpen { .. } => ErrorKind::CircuitOpen,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Busy { .. } => ErrorKind::Busy,
            Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Department { .. } => ErrorKind::Department,
            Self::Decode { .. } => ErrorKind::Decode,
            Self::InvalidInput { .. } => ErrorKind::InvalidInput,
        }
    }

    /// The GraphQL `extensions.code` of this failure: `DEPARTMENT_TIMEOUT`,
    /// `DEPARTMENT_UNAVAILABLE` (down, not configured, circuit open, throttled) or
    /// `DEPARTMENT_ERROR` (it answered, but not usefully).
    pub fn code(&self) -> &'static str {
        match self.kind() {
            ErrorKind::Timeout => "DEPARTMENT_TIMEOUT",
            ErrorKind::NotConfigured
            | ErrorKind::Unavailable
            | ErrorKind::CircuitOpen
            | ErrorKind::RateLimited
            | ErrorKind::Busy => "DEPARTMENT_UNAVAILABLE",
            ErrorKind::Rejected
            | ErrorKind::Department
            | ErrorKind::Decode
            | ErrorKind::InvalidInput => "DEPARTMENT_ERROR",
        }
    }

    /// Whether another attempt of a safe read may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Timeout | ErrorKind::Unavailable | ErrorKind::RateLimited | ErrorKind::Busy
        )
    }

    /// Whether the failure says the department is unhealthy (counts towards opening the
    /// circuit). Throttling and refusals do not: the department answered.
    pub(crate) fn trips_breaker(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Timeout | ErrorKind::Unavailable | ErrorKind::Decode | ErrorKind::Department
        )
    }

    pub(crate) fn decode(department: Department, what: impl Into<String>) -> Self {
        Self::Decode {
            department,
            what: what.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_department_and_the_kind() {
        let e = AdapterError::Unavailable {
            department: Department::CivilAffairs,
            reason: Unavailability::Status(503),
        };
        assert_eq!(e.to_string(), "civil_affairs is unavailable (HTTP 503)");
        assert_eq!(e.code(), "DEPARTMENT_UNAVAILABLE");
        let e = AdapterError::Timeout {
            department: Department::MedicalInsurance,
        };
        assert_eq!(e.code(), "DEPARTMENT_TIMEOUT");
        assert!(e.is_retryable());
        assert!(e.trips_breaker());
        let e = AdapterError::RateLimited {
            department: Department::SocialSecurity,
            retry_after: Some(Duration::from_secs(1)),
        };
        assert!(e.is_retryable());
        assert!(!e.trips_breaker());
    }
}
