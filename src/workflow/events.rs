//! Changes to service requests as they happen, for live subscriptions. Published after the
//! change is committed; a subscriber that falls behind skips ahead (the timeline in the
//! database is the record, the feed only tells clients to look).
//!
//! With several instances on PostgreSQL a change reaches this bus twice on the instance
//! that made it (published there, and heard back through [`super::relay`]) and once on
//! every other; the bus publishes each event (request id and sequence number) once.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use futures_util::{Stream, stream};
use lru::LruCache;
use tokio::sync::broadcast::{self, error::RecvError};

use super::requests::{Event, Request};

/// A committed change to a request: the request as it now stands, and the event.
#[derive(Debug, Clone)]
pub struct RequestChange {
    pub request: Request,
    pub event: Event,
}

/// The process-wide feed of request changes.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<RequestChange>>,
    /// The events published lately, so that one heard twice goes out once.
    published: Arc<Mutex<LruCache<(String, i32), ()>>>,
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        let remembered = NonZeroUsize::new(capacity.max(16) * 4).unwrap_or(NonZeroUsize::MIN);
        Self {
            sender,
            published: Arc::new(Mutex::new(LruCache::new(remembered))),
        }
    }

    /// Tells every subscriber, unless this event was published already; nobody listening
    /// is fine.
    pub fn publish(&self, change: RequestChange) {
        let key = (change.event.request_id.clone(), change.event.seq);
        {
            let mut published = self
                .published
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if published.put(key, ()).is_some() {
                return;
            }
        }
        let _ = self.sender.send(Arc::new(change));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RequestChange>> {
        self.sender.subscribe()
    }

    /// Every change from now on, as a stream that ends only with the bus. A subscriber
    /// that falls behind by more than the bus holds skips the changes it missed.
    pub fn changes(&self) -> impl Stream<Item = Arc<RequestChange>> + Send + use<> {
        stream::unfold(self.subscribe(), |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(change) => return Some((change, receiver)),
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(
                            skipped,
                            "a live subscriber fell behind and skipped changes"
                        );
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(1024)
    }
}
