//! A department's budget: the calls a second it allows and the calls it takes in flight,
//! for the whole hub. One instance alone spends it locally. Several instances sharing
//! a Redis ([`Coordination`]) lease it: a slice of the rate at a time (one round trip per
//! slice, not per call) and calls in flight in small blocks held under a time-to-live,
//! renewed while held and given back when idle. When Redis does not answer, each
//! instance keeps to its share (budget ÷ `coordination.instances`) and keeps serving.
//!
//! Interactive requests come first: background work (screening, sync) takes a place in
//! flight only while no request waits for one, so it uses what requests leave idle and
//! hands each place back to a waiting request as soon as its call ends. It waits for its
//! turn of the rate without a place, and books its turns strictly one after another; a
//! request may start a few turns ahead of the pace, so it does not queue behind them.

mod lease;
mod scripts;

use std::{
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use tokio::{sync::Notify, time::Instant};

use self::lease::{RateSlice, in_flight_chunk, in_flight_share, rate_share};
use crate::{
    coordination::{Coordination, Mode},
    domain::Department,
};

/// One department's budget as this instance spends it.
pub(crate) struct Budget {
    department: Department,
    coordination: Coordination,
    rate_per_sec: f64,
    rate: Option<RateSlice>,
    /// Calls in flight for the whole hub (0: unbounded).
    capacity: u32,
    slots: Mutex<Slots>,
    /// Wakes the longest-waiting request, or background call, when a place frees.
    freed_requests: Notify,
    freed_background: Notify,
    /// Interactive calls waiting for a place: background work waits while any do.
    requests_waiting: AtomicU32,
    /// One lease of calls in flight asked for at a time.
    leasing: tokio::sync::Mutex<()>,
    /// The slice of the rate leased now (shared mode).
    leased: tokio::sync::Mutex<Leased>,
    /// The next start allowed when this instance paces calls itself.
    next_start: Mutex<Instant>,
    /// Background calls wait for their turn of the rate one at a time.
    background_turn: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Slots {
    in_use: u32,
    /// Leased from Redis (shared mode).
    held: u32,
}

#[derive(Debug)]
struct Leased {
    left: u64,
    until: Instant,
    /// The slice is spent hub-wide: nobody asks Redis again before this.
    spent_until: Option<Instant>,
}

/// A call's place among those in flight; released when dropped.
pub(crate) struct Permit<'a> {
    budget: Option<&'a Budget>,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(budget) = self.budget {
            budget.lock_slots().in_use -= 1;
            budget.wake_next();
        }
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("department", &self.department)
            .field("rate_per_sec", &self.rate_per_sec)
            .field("capacity", &self.capacity)
            .field("slots", &*self.lock_slots())
            .finish_non_exhaustive()
    }
}

impl Budget {
    /// `rate_per_sec` 0: no rate cap; `capacity` 0: no bound on calls in flight. With
    /// Redis configured, starts the task that renews and gives back leased calls.
    pub(crate) fn new(
        department: Department,
        rate_per_sec: f64,
        capacity: u32,
        coordination: Coordination,
    ) -> Arc<Self> {
        let slice = coordination.settings().lease_slice;
        let budget = Arc::new(Self {
            department,
            rate: RateSlice::new(rate_per_sec, slice),
            rate_per_sec,
            capacity,
            slots: Mutex::new(Slots::default()),
            freed_requests: Notify::new(),
            freed_background: Notify::new(),
            requests_waiting: AtomicU32::new(0),
            leasing: tokio::sync::Mutex::new(()),
            leased: tokio::sync::Mutex::new(Leased {
                left: 0,
                until: Instant::now(),
                spent_until: None,
            }),
            next_start: Mutex::new(Instant::now()),
            background_turn: tokio::sync::Mutex::new(()),
            coordination,
        });
        if budget.capacity > 0 && budget.coordination.mode() != Mode::Off {
            tokio::spawn(renew(Arc::downgrade(&budget)));
        }
        budget
    }

    /// Waits (until `deadline` at most) for a place among the calls in flight and the
    /// call's turn within the rate; `None` when the deadline comes first.
    pub(crate) async fn admit(&self, deadline: Instant, background: bool) -> Option<Permit<'_>> {
        if background {
            // Its turn of the rate first: background work holds a place in flight for
            // its call alone, not while it waits for a turn, so that a request finds one.
            self.take_rate(deadline, true).await?;
            return self.take_slot(deadline, true).await;
        }
        self.requests_waiting.fetch_add(1, Ordering::SeqCst);
        let permit = self.take_slot(deadline, false).await;
        if self.requests_waiting.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last request is through: background work may look again.
            self.freed_background.notify_one();
        }
        let permit = permit?;
        self.take_rate(deadline, false).await?;
        Some(permit)
    }

    async fn take_slot(&self, deadline: Instant, background: bool) -> Option<Permit<'_>> {
        if self.capacity == 0 {
            return Some(Permit { budget: None });
        }
        let poll = self.coordination.settings().lease_slice;
        loop {
            let freed = if background {
                self.freed_background.notified()
            } else {
                self.freed_requests.notified()
            };
            tokio::pin!(freed);
            freed.as_mut().enable();
            let mode = self.coordination.mode();
            let limit = match &mode {
                Mode::Off => self.capacity,
                Mode::Alone { .. } => in_flight_share(self.capacity, self.coordination.instances()),
                Mode::Shared => self.lock_slots().held,
            };
            let yields = background && self.requests_waiting.load(Ordering::SeqCst) > 0;
            if !yields {
                let mut slots = self.lock_slots();
                if slots.in_use < limit.min(self.capacity) {
                    slots.in_use += 1;
                    let more = slots.in_use < limit.min(self.capacity);
                    drop(slots);
                    if more {
                        // Places are left: the next waiter need not wait for a release.
                        self.wake_next();
                    }
                    return Some(Permit { budget: Some(self) });
                }
            }
            if !yields && mode != Mode::Off && self.lease_more_slots().await {
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            // Another instance may give calls back at any moment: look again each slice.
            let _ = tokio::time::timeout((deadline - now).min(poll), freed).await;
        }
    }

    /// Asks Redis for a few more calls in flight; whether this instance now holds more
    /// than it uses.
    async fn lease_more_slots(&self) -> bool {
        let _one_at_a_time = self.leasing.lock().await;
        let (in_use, held) = {
            let slots = self.lock_slots();
            (slots.in_use, slots.held)
        };
        if in_use < held {
            return true;
        }
        let want = (in_use + in_flight_chunk(self.capacity, self.coordination.instances()))
            .min(self.capacity);
        // Without an answer the instance now counts alone: its share decides next turn.
        self.lease_slots(want)
            .await
            .is_some_and(|granted| granted > in_use)
    }

    /// Sets the calls this instance holds to `want` (or what is left); `None` when Redis
    /// did not answer.
    async fn lease_slots(&self, want: u32) -> Option<u32> {
        let name = self.department.as_str();
        let keys = [
            self.coordination.key(&format!("in_flight:{name}")),
            self.coordination.key(&format!("in_flight:{name}:until")),
        ];
        let ttl = self.coordination.settings().permit_ttl.as_millis() as u64;
        let args = [
            self.coordination.instance().to_owned(),
            want.to_string(),
            self.capacity.to_string(),
            ttl.to_string(),
        ];
        let granted: u32 = self
            .coordination
            .run(&scripts::LEASE_IN_FLIGHT, &keys, &args)
            .await?;
        self.lock_slots().held = granted;
        Some(granted)
    }

    async fn take_rate(&self, deadline: Instant, background: bool) -> Option<()> {
        let Some(rate) = self.rate else {
            return Some(());
        };
        loop {
            let mode = self.coordination.mode();
            if mode == Mode::Off {
                if background {
                    return self.pace_background(deadline).await;
                }
                let interval = interval_of(self.rate_per_sec);
                return self
                    .pace(interval, request_headroom(interval), deadline)
                    .await;
            }
            let mut leased = self.leased.lock().await;
            let now = Instant::now();
            if leased.left > 0 && now < leased.until {
                leased.left -= 1;
                return Some(());
            }
            if let Some(until) = leased.spent_until.filter(|until| now < *until) {
                drop(leased);
                if until > deadline {
                    tokio::time::sleep_until(deadline).await;
                    return None;
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            match self.lease_rate(rate).await {
                Some((granted, left_in_slice)) => {
                    leased.until = now + left_in_slice;
                    if granted > 0 {
                        leased.left = granted - 1;
                        leased.spent_until = None;
                        return Some(());
                    }
                    leased.left = 0;
                    leased.spent_until = Some(leased.until);
                }
                None => {
                    drop(leased);
                    let share = rate_share(self.rate_per_sec, self.coordination.instances());
                    return self
                        .pace(interval_of(share), Duration::ZERO, deadline)
                        .await;
                }
            }
        }
    }

    /// Leases calls of the current slice: `(granted, time left in the slice)`.
    async fn lease_rate(&self, rate: RateSlice) -> Option<(u64, Duration)> {
        let key = self
            .coordination
            .key(&format!("rate:{}", self.department.as_str()));
        let args = [
            rate.slice.as_millis() as u64,
            rate.per_slice,
            rate.chunk(self.coordination.instances()),
        ];
        let (granted, left_ms): (u64, u64) = self
            .coordination
            .run(&scripts::LEASE_RATE, &[key], &args)
            .await?;
        Some((granted, Duration::from_millis(left_ms)))
    }

    /// Paces calls locally, one `interval` apart on average: a call may start up to
    /// `ahead` before its turn (the generic cell rate algorithm), so that over any
    /// stretch the calls exceed the rate by at most `ahead`'s worth and one.
    async fn pace(&self, interval: Duration, ahead: Duration, deadline: Instant) -> Option<()> {
        let start = {
            let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let start = next
                .checked_sub(ahead)
                .map_or(now, |earliest| earliest.max(now));
            *next = (*next).max(start) + interval;
            start
        };
        wait_for_turn(start, deadline).await
    }

    /// Paces a background call strictly, one interval after the last call: it books a
    /// turn only within [`background_window`] of now, so that a request, which may run
    /// further ahead ([`request_headroom`]), never queues behind background turns.
    /// Background calls book one at a time.
    async fn pace_background(&self, deadline: Instant) -> Option<()> {
        let interval = interval_of(self.rate_per_sec);
        let window = background_window(interval);
        let start = {
            let _one_at_a_time = self.background_turn.lock().await;
            loop {
                let booked = {
                    let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
                    let now = Instant::now();
                    if *next <= now + window {
                        let start = (*next).max(now);
                        *next = start + interval;
                        Ok(start)
                    } else {
                        Err(*next - window)
                    }
                };
                match booked {
                    Ok(start) => break start,
                    Err(_) if Instant::now() >= deadline => return None,
                    Err(until) => tokio::time::sleep_until(until.min(deadline)).await,
                }
            }
        };
        wait_for_turn(start, deadline).await
    }

    /// Wakes one waiter, in the order they came: a request if any waits, else background
    /// work.
    fn wake_next(&self) {
        if self.requests_waiting.load(Ordering::SeqCst) > 0 {
            self.freed_requests.notify_one();
        } else {
            self.freed_background.notify_one();
        }
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Renews the calls in flight this instance holds and gives back those it does not use,
/// a few times per time-to-live, for as long as the budget exists.
async fn renew(budget: Weak<Budget>) {
    let period = match budget.upgrade() {
        Some(b) => (b.coordination.settings().permit_ttl / 4).min(Duration::from_millis(500)),
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(budget) = budget.upgrade() else {
            return;
        };
        if budget.coordination.mode() != Mode::Shared {
            continue;
        }
        let _one_at_a_time = budget.leasing.lock().await;
        // Spare places stop being handed out before Redis hears they are given back.
        let in_use = {
            let mut slots = budget.lock_slots();
            let idle = slots.held == 0 && slots.in_use == 0;
            slots.held = slots.in_use;
            (!idle).then_some(slots.in_use)
        };
        if let Some(in_use) = in_use {
            budget.lease_slots(in_use).await;
        }
    }
}

/// How far ahead of now background work books its turns: one turn, and at least the
/// timer's lateness (a sleep ends a millisecond or so after its instant), or the rate
/// would lose the turns the timer overslept.
fn background_window(interval: Duration) -> Duration {
    interval.max(Duration::from_millis(2))
}

/// How far ahead of its turn a request may start: past the background's window, and one
/// turn or 4 ms of the rate more, so that a request starts at once while background work
/// spends the rest of the rate. The department sees at most a few calls more than its
/// rate over any stretch, within any token bucket that allows a burst.
fn request_headroom(interval: Duration) -> Duration {
    background_window(interval) + interval.max(Duration::from_millis(4))
}

fn interval_of(per_sec: f64) -> Duration {
    Duration::from_secs_f64(1.0 / per_sec)
}

/// Waits until a booked turn's `start`; `None`, at the deadline, when the turn comes
/// after it.
async fn wait_for_turn(start: Instant, deadline: Instant) -> Option<()> {
    if start > deadline {
        tokio::time::sleep_until(deadline).await;
        return None;
    }
    // The timer's granularity is a millisecond: a start due sooner goes at once (the rate
    // holds over any stretch, give or take a millisecond's calls).
    if start > Instant::now() + Duration::from_millis(1) {
        tokio::time::sleep_until(start).await;
    }
    Some(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::coordination::CoordinationSettings;

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn alone_a_budget_never_admits_more_than_its_capacity() {
        let budget = Budget::new(Department::CivilAffairs, 0.0, 2, Coordination::off());
        let a = budget.admit(soon(50), false).await;
        let b = budget.admit(soon(50), true).await;
        assert!(a.is_some() && b.is_some());
        assert!(budget.admit(soon(30), false).await.is_none());
        drop(a);
        assert!(budget.admit(soon(30), false).await.is_some());
    }

    #[tokio::test]
    async fn a_waiting_request_goes_before_background_work() {
        let budget = Budget::new(Department::SocialSecurity, 0.0, 1, Coordination::off());
        let held = budget.admit(soon(50), true).await;
        assert!(held.is_some());
        let order = Mutex::new(Vec::new());
        let background = async {
            let permit = budget.admit(soon(2_000), true).await;
            order.lock().unwrap().push("background");
            tokio::time::sleep(Duration::from_millis(5)).await;
            drop(permit);
        };
        let request = async {
            // The request arrives after the background call began to wait.
            tokio::time::sleep(Duration::from_millis(10)).await;
            let permit = budget.admit(soon(2_000), false).await;
            order.lock().unwrap().push("request");
            tokio::time::sleep(Duration::from_millis(5)).await;
            drop(permit);
        };
        let release = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(held);
        };
        tokio::join!(background, request, release);
        assert_eq!(*order.lock().unwrap(), ["request", "background"]);
    }

    #[tokio::test]
    async fn without_redis_an_instance_keeps_to_its_share() {
        let settings = CoordinationSettings {
            // Nothing listens on port 1.
            url: "redis://127.0.0.1:1/0".into(),
            instances: 2,
            ..CoordinationSettings::default()
        };
        let coordination = Coordination::new(&settings).unwrap();
        let budget = Budget::new(Department::MedicalInsurance, 0.0, 4, coordination.clone());
        let first = budget.admit(soon(1_000), false).await;
        assert!(first.is_some());
        assert!(matches!(coordination.mode(), Mode::Alone { .. }));
        let second = budget.admit(soon(50), false).await;
        assert!(second.is_some());
        assert!(
            budget.admit(soon(50), false).await.is_none(),
            "two of four: the share of one instance of two"
        );
    }

    #[tokio::test]
    async fn a_request_does_not_queue_behind_background_turns_of_the_rate() {
        // 100 a second: a turn every 10 ms.
        let budget = Arc::new(Budget::new(
            Department::MedicalInsurance,
            100.0,
            0,
            Coordination::off(),
        ));
        let started = Instant::now();
        let background: Vec<_> = (0..10)
            .map(|_| {
                let budget = budget.clone();
                tokio::spawn(async move { budget.admit(soon(5_000), true).await.is_some() })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(15)).await;
        let asked = Instant::now();
        assert!(budget.admit(soon(1_000), false).await.is_some());
        // Ten background calls wanted 100 ms of turns; the request waited for none.
        assert!(
            asked.elapsed() < Duration::from_millis(8),
            "{:?}",
            asked.elapsed()
        );
        for call in background {
            assert!(call.await.unwrap());
        }
        // The background calls kept to the rate, one turn after another, the request's
        // turn among them: the last 100 ms after the first.
        assert!(started.elapsed() >= Duration::from_millis(95));
    }

    #[tokio::test]
    async fn background_work_waits_for_its_turn_without_a_place_in_flight() {
        // 20 a second, two places: the background calls wait for turns 50 ms apart.
        let budget = Arc::new(Budget::new(
            Department::MedicalInsurance,
            20.0,
            2,
            Coordination::off(),
        ));
        let first = budget.admit(soon(1_000), true).await;
        assert!(first.is_some());
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.admit(soon(1_000), true).await.is_some() })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        // One place is held by a call, the other by no one: the waiting background call
        // waits for its turn, not in the place.
        assert_eq!(budget.lock_slots().in_use, 1);
        assert!(waiting.await.unwrap());
    }

    #[tokio::test]
    async fn alone_the_rate_is_paced_locally() {
        let budget = Budget::new(Department::CivilAffairs, 100.0, 0, Coordination::off());
        let started = Instant::now();
        for _ in 0..12 {
            assert!(budget.admit(soon(1_000), false).await.is_some());
        }
        // 100 a second, a turn every 10 ms, requests up to 20 ms ahead of the pace: the
        // first three at once, then one a turn, the twelfth 90 ms after the first.
        assert!(
            started.elapsed() >= Duration::from_millis(85),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn requests_run_ahead_of_background_work_by_a_turn_or_4_ms() {
        let ms = Duration::from_millis;
        // 1,000 a second: background books 2 ms ahead, requests 6.
        assert_eq!(background_window(ms(1)), ms(2));
        assert_eq!(request_headroom(ms(1)), ms(6));
        // 10 a second: a turn each.
        assert_eq!(background_window(ms(100)), ms(100));
        assert_eq!(request_headroom(ms(100)), ms(200));
    }
}
