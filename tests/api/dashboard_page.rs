//! `/dashboard`: served from the binary under a policy that allows no inline script and
//! nothing from elsewhere, and not at all when `server.dashboard` is off. What the page
//! does in a browser is tested by the client suite (`tests/clients/test/dashboard.test.mjs`).

use reqwest::{Method, StatusCode};

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_page_and_its_assets_are_served_under_a_strict_policy() {
    let app = spawn_app().await;
    let page = app.request(Method::GET, "/dashboard").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    // Every script is a file of the hub: none inline.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/dashboard/").count()
    );
    for (file, kind) in [
        ("app.js", "text/javascript"),
        ("style.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let response = app
            .request(Method::GET, &format!("/dashboard/{file}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{file}"
        );
        let text = response.text().await.unwrap();
        // Nothing is loaded from another host (the SVG namespace is a name, not a load).
        let outside = text
            .replace("http://www.w3.org/2000/svg", "")
            .contains("://");
        assert!(!outside, "{file} names another host");
    }
    let missing = app
        .request(Method::GET, "/dashboard/nothing.js")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_is_not_served_when_switched_off() {
    let app = spawn_app_with(|s| s.server.dashboard = false).await;
    for path in ["/dashboard", "/dashboard/app.js"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
