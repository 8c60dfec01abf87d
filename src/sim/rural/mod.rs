//! Rural revitalisation (乡村振兴, within agriculture and rural affairs): REST/JSON where
//! every request is signed — `appId`, `timestamp` (ms), `nonce` and `sign`, the HMAC-SM3
//! (GB/T 32905) of `METHOD\nPATH\nsorted query\ntimestamp\nnonce\nhex SM3 of the body`
//! under the app secret — within a 300 s replay window; a batch query of up to 50
//! people; village listings by offset.

mod handlers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use actix_web::web;

use super::SimError;
use super::knobs::KnobHandle;
use super::population::Population;
use super::server::{self, RunningServer};

/// The app the simulator accepts unless told otherwise.
pub const DEFAULT_APP_ID: &str = "cunhub";
pub const DEFAULT_APP_SECRET: &str = "cunhub-sim-rural-secret";

/// People per batch query at most.
pub const MAX_BATCH: usize = 50;

/// How far a request's timestamp may be from the clock, and how long a nonce is kept.
pub const REPLAY_WINDOW_MS: i64 = 300_000;

struct App {
    id: String,
    secret: String,
    /// Nonces seen, with their timestamps.
    nonces: Mutex<HashMap<String, i64>>,
}

/// Starts the simulator on `bind` for the app `app_id` with `app_secret`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    app_id: &str,
    app_secret: &str,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    let app = web::Data::new(App {
        id: app_id.to_owned(),
        secret: app_secret.to_owned(),
        nonces: Mutex::new(HashMap::new()),
    });
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone())
            .app_data(app.clone())
            .route("/prr/v1/persons/query", web::post().to(handlers::query))
            .route(
                "/prr/v1/villages/{code}/households",
                web::get().to(handlers::households),
            );
    })
}
