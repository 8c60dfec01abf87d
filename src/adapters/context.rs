//! What every department call carries: the deadline of the request that caused it and the
//! request id that travels to the department.

use std::time::{Duration, Instant};

/// The deadline and request id of one hub request, shared by all its department calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// No attempt starts after this instant, and none outlives it.
    pub deadline: Instant,
    /// Sent to the department as `X-Request-Id`, and recorded in the call's span.
    pub request_id: String,
    /// Background work (screening, sync): it uses what interactive requests leave idle
    /// of a department's calls in flight and lets a waiting request go first.
    pub background: bool,
}

impl CallContext {
    /// A context whose deadline is `budget` from now.
    pub fn with_budget(budget: Duration, request_id: impl Into<String>) -> Self {
        Self {
            deadline: Instant::now() + budget,
            request_id: request_id.into(),
            background: false,
        }
    }

    /// The same context, for background work.
    pub fn in_background(self) -> Self {
        Self {
            background: true,
            ..self
        }
    }

    /// A context with a fresh random request id.
    pub fn new(budget: Duration) -> Self {
        Self::with_budget(budget, uuid::Uuid::new_v4().to_string())
    }

    /// Time left before the deadline (zero once it has passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }
}
