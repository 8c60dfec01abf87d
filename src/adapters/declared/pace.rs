//! The rate a definition allows (`capacity.rate_per_second`): a token bucket whose
//! callers reserve their turn and wait for it, never past their deadline.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::adapters::context::CallContext;
use crate::adapters::error::AdapterError;
use crate::domain::Department;

#[derive(Debug)]
pub(crate) struct Pace {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Pace {
    pub(crate) fn new(per_second: f64) -> Self {
        let burst = per_second.max(1.0);
        Self {
            per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits for a turn; a turn that would come after the deadline is not taken.
    pub(crate) async fn wait(
        &self,
        ctx: &CallContext,
        department: Department,
    ) -> Result<(), AdapterError> {
        let wait = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let refill = now.duration_since(state.1).as_secs_f64() * self.per_second;
            state.0 = (state.0 + refill).min(self.burst);
            state.1 = now;
            let wait = if state.0 >= 1.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64((1.0 - state.0) / self.per_second)
            };
            if wait > ctx.remaining() {
                return Err(AdapterError::Timeout { department });
            }
            state.0 -= 1.0;
            wait
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_come_at_the_declared_rate() {
        let pace = Pace::new(4.0);
        let ctx = CallContext::new(Duration::from_secs(60));
        let started = Instant::now();
        for _ in 0..6 {
            pace.wait(&ctx, Department::Health)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // Four at once (the burst), then one every quarter second.
        assert!(started.elapsed() >= Duration::from_millis(450));
    }
}
