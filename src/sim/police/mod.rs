//! Public security (公安): the household register behind OAuth2 client credentials,
//! person and household lookups, and cursor paging by village, township or county.

mod handlers;
mod tokens;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;

use super::SimError;
use super::knobs::KnobHandle;
use super::population::Population;
use super::server::{self, RunningServer};

pub use tokens::Tokens;

/// The client credentials and token lifetime of the register's OAuth2 endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoliceAuth {
    pub client_id: String,
    pub client_secret: String,
    pub token_ttl: Duration,
}

impl Default for PoliceAuth {
    fn default() -> Self {
        Self {
            client_id: "cunhub".into(),
            client_secret: "cunhub-sim-police-secret".into(),
            token_ttl: Duration::from_secs(300),
        }
    }
}

/// Starts the simulator on `bind`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    auth: PoliceAuth,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    let tokens = web::Data::new(Tokens::new(auth));
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone())
            .app_data(tokens.clone())
            .route("/oauth/token", web::post().to(handlers::token))
            .route("/hjxx/v2/persons", web::get().to(handlers::person))
            .route(
                "/hjxx/v2/households/{hh}",
                web::get().to(handlers::household),
            )
            .route(
                "/hjxx/v2/villages/{code}/persons",
                web::get().to(handlers::village_persons),
            );
    })
}
