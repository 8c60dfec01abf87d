//! Browsers on another origin: preflights answered for the listed origins only, with the
//! hub's own headers allowed and exposed; nothing allowed when no origin is listed.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const DASHBOARD: &str = "https://dashboard.nongan.example";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.request(Method::OPTIONS, "/graphql")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-purpose, x-case-ref",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn post_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.request(Method::POST, "/graphql")
        .header("origin", origin)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_listed_origin_is_answered_its_preflight_with_the_hubs_headers() {
    let app = spawn_app_with(|s| {
        s.server.cors_origins = vec![DASHBOARD.into()];
        s.server.cors_max_age = std::time::Duration::from_secs(600);
    })
    .await;
    let answer = preflight(&app, DASHBOARD).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(&answer, "access-control-allow-origin"), DASHBOARD);
    assert_eq!(header(&answer, "access-control-max-age"), "600");
    let allowed = header(&answer, "access-control-allow-headers").to_ascii_lowercase();
    for name in ["authorization", "content-type", "x-purpose", "x-case-ref"] {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }
    assert!(header(&answer, "access-control-allow-methods").contains("POST"));

    let response = post_from(&app, DASHBOARD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "access-control-allow-origin"), DASHBOARD);
    let exposed = header(&response, "access-control-expose-headers").to_ascii_lowercase();
    for name in [
        "x-request-id",
        "retry-after",
        "ratelimit-policy",
        "ratelimit",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
}

#[tokio::test]
async fn an_origin_not_listed_gets_no_cross_origin_permission() {
    let app = spawn_app_with(|s| s.server.cors_origins = vec![DASHBOARD.into()]).await;
    let answer = preflight(&app, "https://elsewhere.example").await;
    assert!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let response = post_from(&app, "https://elsewhere.example").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn nothing_is_allowed_across_origins_by_default() {
    let app = spawn_app().await;
    let answer = preflight(&app, DASHBOARD).await;
    assert!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let response = post_from(&app, DASHBOARD).await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // Same-origin and non-browser callers are unaffected.
    let plain = app.graphql("{ __typename }").send().await;
    assert_eq!(plain.status, StatusCode::OK);
}
