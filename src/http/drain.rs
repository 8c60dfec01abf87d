//! Leaving a load balancer without losing a request. On SIGTERM the hub first drains:
//! `/readyz` answers 503 so the balancer's health check takes the instance out, every
//! answer closes its connection (a client's next request opens a new one, which the
//! balancer sends elsewhere), open sockets close with 1012 (service restart) and event
//! streams end without `complete`, so their clients reconnect elsewhere. Only after `server.drain_delay` does the listener close,
//! the requests still in flight finish (`server.shutdown_timeout`), and the process ends.

use std::sync::Arc;

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::ConnectionType,
    middleware::Next,
};
use tokio::sync::watch;

/// Whether the instance is draining; shared by the handlers and the start-up code.
#[derive(Clone)]
pub struct Drain {
    state: Arc<watch::Sender<bool>>,
}

impl Default for Drain {
    fn default() -> Self {
        Self {
            state: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Drain {
    /// Starts draining (once; later calls change nothing).
    pub fn start(&self) {
        self.state.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        *self.state.borrow()
    }

    /// Completes when draining starts (at once if it has).
    pub async fn started(&self) {
        let mut watching = self.state.subscribe();
        let _ = watching.wait_for(|draining| *draining).await;
    }
}

/// While draining, every answer closes its connection.
pub async fn close_connections(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let draining = request
        .app_data::<actix_web::web::Data<super::AppState>>()
        .is_some_and(|state| state.drain.is_draining());
    let mut response = next.call(request).await?;
    if draining {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}
