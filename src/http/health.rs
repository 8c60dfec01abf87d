//! Liveness and readiness. Readiness is the hub itself (its database and settings),
//! never a department: one department's outage must not take every instance out of
//! its load balancer. An instance that is stopping (SIGTERM) is not ready while it drains.
//! Nor is Redis: without it the instance keeps to its share of each department's budget
//! and says so in `coordination`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use crate::{coordination::Mode, store};

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
        "coordination": coordination(&state),
    });
    if database && settings {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// How department budgets and client limits are counted: `off` (one instance),
/// `shared` (through Redis) or `alone` (Redis unreachable: this instance's share).
fn coordination(state: &AppState) -> serde_json::Value {
    let c = &state.coordination;
    let mode = c.mode();
    let mut details = json!({ "mode": mode.as_str(), "instances": c.instances() });
    if let Mode::Alone { reason } = &mode {
        details["reason"] = json!(reason);
        details["budgets"] = json!(format!(
            "this instance keeps to 1/{} of each department's budget",
            c.instances()
        ));
    }
    details
}
