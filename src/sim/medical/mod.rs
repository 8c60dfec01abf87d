//! Medical insurance (医保): the national platform's JSON envelope, transaction 1101,
//! one person per call, "system busy" beyond the calls in flight (16 by default).

mod handlers;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::web;

use super::SimError;
use super::knobs::{KnobHandle, Knobs};
use super::population::Population;
use super::server::{self, RunningServer};

/// The knobs the medical insurance platform starts with: 16 calls in flight.
pub fn default_knobs() -> Knobs {
    Knobs {
        max_in_flight: 16,
        ..Knobs::default()
    }
}

/// Starts the simulator on `bind`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone()).route(
            "/fsi/api/rsfComIfsService/callService",
            web::post().to(handlers::call_service),
        );
    })
}
