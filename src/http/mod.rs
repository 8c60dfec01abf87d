//! The HTTP surface: routes only, no business logic.

mod caching;
mod compression;
mod cors;
mod dashboard;
pub mod documents;
mod drain;
mod embedded;
mod graphiql;
mod graphql;
mod health;
pub mod metrics;
mod negotiate;
mod observe;
mod problem;
pub mod quota;
mod settings;
mod sse;
mod state;
mod villages;
mod ws;

use actix_web::web;

pub use compression::{hold_back as hold_back_compression, release as release_compression};
pub use cors::cors;
pub use documents::DocumentsSettings;
pub use drain::{Drain, close_connections};
pub use observe::{RequestId, observe};
pub use settings::ServerSettings;
pub use state::{AppState, HttpSettings};

/// Registers every route of the public listener (`/metrics` is on the operators' own,
/// [`metrics::operator_server`]).
pub fn routes(cfg: &mut web::ServiceConfig, server: &ServerSettings) {
    cfg.service(
        web::resource("/graphql")
            .route(
                web::get()
                    .guard(actix_web::guard::Header("upgrade", "websocket"))
                    .to(ws::socket),
            )
            .route(web::post().to(graphql::post))
            .route(web::get().to(graphql::get))
            .default_service(web::to(problem::method_not_allowed)),
    )
    .service(
        web::resource("/graphql/stream")
            .route(web::post().to(sse::post))
            .route(web::get().to(sse::get))
            .default_service(web::to(problem::method_not_allowed)),
    )
    .route("/healthz", web::get().to(health::alive))
    .route("/readyz", web::get().to(health::ready));
    if server.graphiql {
        cfg.route("/graphiql", web::get().to(graphiql::page))
            .route("/graphiql/assets/{name}", web::get().to(graphiql::asset));
    }
    cfg.route("/villages/{code}/{file}", web::get().to(villages::file));
    if server.dashboard {
        cfg.route("/dashboard", web::get().to(dashboard::page))
            .route("/dashboard/{file}", web::get().to(dashboard::asset));
    }
}

pub use problem::not_found;
