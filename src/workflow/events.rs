//! Changes to service requests as they happen, for live subscriptions. Published after the
//! change is committed; a subscriber that falls behind skips ahead (the timeline in the
//! database is the record, the feed only tells clients to look).

use std::sync::Arc;

use futures_util::{Stream, stream};
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
