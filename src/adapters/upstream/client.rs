//! The departments' pooled HTTP client, one pool per thread that calls.
//!
//! hyper runs each pooled connection as a task on the runtime that opened it, and the
//! server's workers are one runtime per thread. With one pool for the process, a worker's
//! call often rides a connection another worker opened: the call is handed to that
//! thread, and the answer handed back, two wake-ups across threads per call (and a wait
//! whenever the other thread is busy). With a pool per thread, a call is written and its
//! answer read on the thread that made it.

use std::{
    cell::RefCell,
    sync::{Arc, Weak},
    time::Duration,
};

/// A department's HTTP client settings, and the pool of each thread that has called.
#[derive(Debug)]
pub(crate) struct ThreadClients {
    connect_timeout: Duration,
    /// Built once at start, so that a client that cannot be built is refused there; a
    /// thread whose own build fails later uses it.
    shared: reqwest::Client,
    /// Who the threads' pools belong to; when it is dropped, they are let go.
    owner: Arc<()>,
}

thread_local! {
    /// This thread's pools, by the `ThreadClients` they belong to.
    static POOLS: RefCell<Vec<(Weak<()>, reqwest::Client)>> = const { RefCell::new(Vec::new()) };
}

impl ThreadClients {
    pub(crate) fn new(connect_timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            connect_timeout,
            shared: build(connect_timeout)?,
            owner: Arc::new(()),
        })
    }

    /// The client of the calling thread (cheap: a reference count).
    pub(crate) fn here(&self) -> reqwest::Client {
        POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            if let Some((_, client)) = pools
                .iter()
                .find(|(owner, _)| std::ptr::eq(owner.as_ptr(), Arc::as_ptr(&self.owner)))
            {
                return client.clone();
            }
            // Pools of settings that are gone (a rebuilt application) are let go here.
            pools.retain(|(owner, _)| owner.strong_count() > 0);
            let client = build(self.connect_timeout).unwrap_or_else(|_| self.shared.clone());
            pools.push((Arc::downgrade(&self.owner), client.clone()));
            client
        })
    }
}

/// A department's redirect is not followed: its answer is read as it is (an unexpected
/// status), so the department's key never travels to the address a redirect names.
fn build(connect_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .user_agent(concat!("cunhub/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_own_client_and_lets_go_of_dropped_ones() {
        let clients = ThreadClients::new(Duration::from_secs(1)).expect("client");
        clients.here();
        clients.here();
        assert_eq!(POOLS.with(|p| p.borrow().len()), 1, "one pool per thread");
        let other_thread = std::thread::scope(|s| {
            s.spawn(|| {
                clients.here();
                POOLS.with(|p| p.borrow().len())
            })
            .join()
            .expect("thread")
        });
        assert_eq!(other_thread, 1);
        drop(clients);
        let next = ThreadClients::new(Duration::from_secs(1)).expect("client");
        next.here();
        assert_eq!(
            POOLS.with(|p| p.borrow().len()),
            1,
            "the dropped settings' pool is let go"
        );
    }
}
