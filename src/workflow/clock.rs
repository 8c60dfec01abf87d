//! The hub's sense of "now" for deadlines, so that an operator's test (or a test suite)
//! can move time forward across a holiday without waiting for it.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, Duration, NaiveDate, Utc};

pub use crate::domain::CHINA;

/// The system clock plus an offset that only tests move.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Today's date in China.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&CHINA).date_naive()
    }

    /// Moves this clock (and every copy of it) so that `now()` reads `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::Relaxed);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}
