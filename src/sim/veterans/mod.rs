//! Veterans affairs (退役军人事务): REST/JSON behind an `X-App-Key`, the envelope
//! `{status, msg, result}` (a business failure keeps HTTP 200), page-numbered village
//! listings, 429 + Retry-After.
//!
//! The field names, paging parameters and date format are a [`Dialect`], so that the same
//! simulator also plays another city's platform of the same kind.

mod handlers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::web;

use super::SimError;
use super::knobs::KnobHandle;
use super::population::Population;
use super::server::{self, RunningServer};

/// The key the simulator accepts unless told otherwise.
pub const DEFAULT_APP_KEY: &str = "cunhub-sim-veterans-key";

/// The largest page the platform gives.
pub const MAX_PAGE_SIZE: usize = 200;

/// How a veterans' platform spells its API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    /// Where the API lives, e.g. `/vet/api`.
    pub prefix: String,
    /// The header carrying the key.
    pub key_header: String,
    /// The query parameter of a person's ID number.
    pub id_param: String,
    /// Field names as written on the wire, by the provincial platform's name (`idCard`,
    /// `name`, `category`, `disabilityLevel`, `dischargeYear`, `preferentialCard`,
    /// `status`, `cardNo`, `issuedOn`, `inDifficulty`, `lastVisitOn`, `deceased`, `list`,
    /// `pageNum`, `pageSize`, `pages`, `total`); a name not listed is kept.
    pub renames: BTreeMap<String, String>,
    /// The query parameters of a listing's page number and size.
    pub page_param: String,
    pub size_param: String,
    /// The listing also says how many pages there are.
    pub pages: bool,
    /// chrono's format of dates.
    pub date_format: String,
}

impl Default for Dialect {
    /// The provincial platform of DEPARTMENTS.md.
    fn default() -> Self {
        Self {
            prefix: "/vet/api".into(),
            key_header: "X-App-Key".into(),
            id_param: "idCard".into(),
            renames: BTreeMap::new(),
            page_param: "pageNum".into(),
            size_param: "pageSize".into(),
            pages: true,
            date_format: "%Y/%m/%d".into(),
        }
    }
}

struct Config {
    key: String,
    dialect: Dialect,
}

/// Starts the simulator on `bind`, accepting `app_key`, speaking `dialect`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    app_key: &str,
    dialect: Dialect,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    let prefix = dialect.prefix.trim_end_matches('/').to_owned();
    let config = web::Data::new(Config {
        key: app_key.to_owned(),
        dialect,
    });
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone())
            .app_data(config.clone())
            .route(
                &format!("{prefix}/persons"),
                web::get().to(handlers::person),
            )
            .route(
                &format!("{prefix}/villages/{{code}}/persons"),
                web::get().to(handlers::village),
            );
    })
}
