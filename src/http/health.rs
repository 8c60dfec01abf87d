//! Liveness and readiness. Readiness is the hub itself (its database and settings),
//! never a department: one department's outage must not take every instance out of
//! its load balancer. An instance that is stopping (SIGTERM) is not ready while it drains.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use crate::store;

pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "alive" }))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.drain.is_draining() {
        return HttpResponse::ServiceUnavailable().json(json!({ "status": "draining" }));
    }
    let database = store::ping(&state.services.db).await;
    let settings = state.settings.valid;
    let body = json!({
        "status": if database && settings { "ready" } else { "not ready" },
        "database": if database { "ok" } else { "unavailable" },
        "settings": if settings { "ok" } else { "invalid" },
    });
    if database && settings {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
