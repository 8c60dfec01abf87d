//! Changes to service requests as they happen, for live subscriptions. Published after the
//! change is committed; a subscriber that falls behind skips ahead (the timeline in the
//! database is the record, the feed only tells clients to look).

use std::sync::Arc;

use tokio::sync::broadcast;

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
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Self { sender }
    }

    /// Tells every subscriber; nobody listening is fine.
    pub fn publish(&self, change: RequestChange) {
        let _ = self.sender.send(Arc::new(change));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RequestChange>> {
        self.sender.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(1024)
    }
}
