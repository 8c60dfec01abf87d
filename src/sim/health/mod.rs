//! Health (卫生健康): HL7 FHIR R4 over REST behind OAuth2 client credentials. A person
//! is a `Patient` found by the OID of the resident ID card; a family-doctor contract is
//! a `CareTeam` of category `family-doctor`; searches answer `searchset` Bundles, a
//! village's contracts page by `Bundle.link[next]`; failures are `OperationOutcome`s.

mod handlers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web;

use super::SimError;
use super::knobs::KnobHandle;
use super::population::Population;
use super::server::{self, RunningServer};

/// The client the simulator accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "cunhub";
pub const DEFAULT_CLIENT_SECRET: &str = "cunhub-sim-health-secret";

/// The OID of the resident ID card in Chinese health data standards.
pub const ID_CARD_OID: &str = "urn:oid:2.16.156.10011.1.1";

/// The extension carrying a contract's service package.
pub const PACKAGE_EXTENSION: &str =
    "https://health.jl.example/fhir/StructureDefinition/service-package";

/// The OAuth2 client and how long its tokens live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthAuth {
    pub client_id: String,
    pub client_secret: String,
    pub token_ttl: Duration,
}

impl Default for HealthAuth {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            token_ttl: Duration::from_secs(600),
        }
    }
}

struct Tokens {
    auth: HealthAuth,
    issued: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    fn issue(&self) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let now = Instant::now();
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        issued.retain(|_, expiry| *expiry > now);
        issued.insert(token.clone(), now + self.auth.token_ttl);
        token
    }

    fn valid(&self, token: &str) -> bool {
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        issued.get(token).is_some_and(|e| *e > Instant::now())
    }
}

/// Starts the simulator on `bind` for the client `auth`.
pub fn start(
    population: Arc<Population>,
    knobs: KnobHandle,
    auth: HealthAuth,
    bind: SocketAddr,
    workers: usize,
) -> Result<RunningServer, SimError> {
    let data = web::Data::new(population);
    let tokens = web::Data::new(Tokens {
        auth,
        issued: Mutex::new(HashMap::new()),
    });
    server::spawn(bind, workers, knobs, move |cfg| {
        cfg.app_data(data.clone())
            .app_data(tokens.clone())
            .route("/oauth2/token", web::post().to(handlers::token))
            .route("/fhir/Patient", web::get().to(handlers::patients))
            .route("/fhir/CareTeam", web::get().to(handlers::care_teams));
    })
}
