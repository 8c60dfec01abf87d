//! Civil affairs (民政): a SOAP 1.1 assistance service in GBK, queried by ID card or by
//! village with paging; names with characters GBK cannot hold are stored substituted.

mod handlers;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::web;

use super::SimError;
use super::knobs::KnobHandle;
use super::population::Population;
use super::server::{self, RunningServer};

/// The service path.
pub const PATH: &str = "/services/AssistanceService";

/// Starts the simulator on `bind`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone())
            .app_data(web::PayloadConfig::new(1 << 20))
            .route(PATH, web::post().to(handlers::service));
    })
}
