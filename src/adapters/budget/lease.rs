//! The arithmetic of leasing a department's budget: how a rate is cut into slices,
//! how much one lease asks for, and an instance's share while it counts alone. Pure, so
//! the promise "never above the budget" is checked here without Redis.

use std::time::Duration;

/// A department's rate cut into slices of time: at most `per_slice` calls start in each
/// `slice`, so the calls of any stretch of time stay within the rate plus one slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateSlice {
    pub slice: Duration,
    pub per_slice: u64,
}

impl RateSlice {
    /// `None` for no rate cap (zero or not a finite positive number). A slice too short
    /// to hold one call at this rate is lengthened until it holds one.
    pub(crate) fn new(rate_per_sec: f64, slice: Duration) -> Option<Self> {
        if !(rate_per_sec > 0.0 && rate_per_sec.is_finite()) {
            return None;
        }
        let asked_ms = slice.as_millis().max(1) as u64;
        let one_call_ms = (1000.0 / rate_per_sec).ceil() as u64;
        let slice_ms = asked_ms.max(one_call_ms);
        let per_slice = ((rate_per_sec * slice_ms as f64) / 1000.0).floor() as u64;
        Some(Self {
            slice: Duration::from_millis(slice_ms),
            per_slice: per_slice.max(1),
        })
    }

    /// Calls one lease asks for: an even part of a slice among the instances (the rest
    /// of the slice stays for whoever asks next), at least one.
    pub(crate) fn chunk(&self, instances: u32) -> u64 {
        self.per_slice.div_ceil(u64::from(instances.max(1))).max(1)
    }
}

/// The rate an instance keeps to while it counts alone.
pub(crate) fn rate_share(rate_per_sec: f64, instances: u32) -> f64 {
    rate_per_sec / f64::from(instances.max(1))
}

/// The calls in flight an instance keeps to while it counts alone (at least one, so a
/// department is never shut out; with more instances than calls the sum can exceed the
/// budget by the difference, which the settings check refuses).
pub(crate) fn in_flight_share(capacity: u32, instances: u32) -> u32 {
    (capacity / instances.max(1)).max(1)
}

/// Calls in flight one lease adds to those in use: a quarter of the instance's share
/// (at least one), so a busy instance asks a few times a slice, not once per call, and
/// does not hoard what the others need.
pub(crate) fn in_flight_chunk(capacity: u32, instances: u32) -> u32 {
    (in_flight_share(capacity, instances) / 4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_never_holds_more_than_the_rate_allows() {
        for rate in [0.5, 1.0, 3.0, 7.5, 10.0, 99.0, 100.0, 1000.0, 12_345.0] {
            for slice_ms in [10, 50, 100, 250, 1000] {
                let s = RateSlice::new(rate, Duration::from_millis(slice_ms))
                    .unwrap_or_else(|| panic!("{rate}"));
                let allowed = rate * s.slice.as_secs_f64();
                assert!(s.per_slice as f64 <= allowed + 1e-9, "{rate}/s {s:?}");
                assert!(s.per_slice >= 1);
                assert!(s.slice >= Duration::from_millis(slice_ms));
            }
        }
    }

    #[test]
    fn a_slow_rate_gets_a_longer_slice_holding_one_call() {
        let s = RateSlice::new(2.0, Duration::from_millis(100)).unwrap_or_else(|| panic!());
        assert_eq!((s.slice, s.per_slice), (Duration::from_millis(500), 1));
        let s = RateSlice::new(1000.0, Duration::from_millis(100)).unwrap_or_else(|| panic!());
        assert_eq!((s.slice, s.per_slice), (Duration::from_millis(100), 100));
    }

    #[test]
    fn no_rate_means_no_slices() {
        assert_eq!(RateSlice::new(0.0, Duration::from_millis(100)), None);
        assert_eq!(RateSlice::new(f64::NAN, Duration::from_millis(100)), None);
    }

    #[test]
    fn leases_split_a_slice_among_instances() {
        let s = RateSlice::new(1000.0, Duration::from_millis(100)).unwrap_or_else(|| panic!());
        assert_eq!(s.chunk(1), 100);
        assert_eq!(s.chunk(3), 34);
        assert_eq!(s.chunk(0), 100);
        let one = RateSlice::new(10.0, Duration::from_millis(100)).unwrap_or_else(|| panic!());
        assert_eq!(one.chunk(4), 1);
    }

    #[test]
    fn alone_each_instance_keeps_to_its_share() {
        assert_eq!(rate_share(1000.0, 4), 250.0);
        assert_eq!(in_flight_share(16, 2), 8);
        assert_eq!(in_flight_share(16, 3), 5);
        assert_eq!(in_flight_share(1, 3), 1);
        // The shares of all instances never add up to more than the budget.
        for capacity in 2..64 {
            for instances in 1..=capacity {
                assert!(in_flight_share(capacity, instances) * instances <= capacity);
            }
        }
        assert_eq!(in_flight_chunk(16, 2), 2);
        assert_eq!(in_flight_chunk(3, 2), 1);
    }
}
