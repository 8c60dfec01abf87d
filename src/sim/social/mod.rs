//! Human resources and social security (人社): REST with 金保 field codes behind an
//! `X-Api-Key`, single and batch (≤ 100) insurance queries, employment, 429 + Retry-After.

mod handlers;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::web;

use super::SimError;
use super::knobs::KnobHandle;
use super::population::Population;
use super::server::{self, RunningServer};

/// The API key the simulator accepts unless told otherwise.
pub const DEFAULT_API_KEY: &str = "cunhub-sim-social-key";

/// The largest batch the platform takes.
pub const MAX_BATCH: usize = 100;

#[derive(Clone)]
struct ApiKey(Arc<str>);

/// Starts the simulator on `bind`, accepting `api_key`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    api_key: &str,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    let key = web::Data::new(ApiKey(api_key.into()));
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone())
            .app_data(key.clone())
            .route(
                "/api/v1/persons/{aac002}/insurances",
                web::get().to(handlers::insurances),
            )
            .route(
                "/api/v1/persons/{aac002}/employment",
                web::get().to(handlers::employment),
            )
            .route(
                "/api/v1/insurances:batchQuery",
                web::post().to(handlers::batch_query),
            );
    })
}
