//! The explorer is served whole by the hub (no script from elsewhere), under a policy that
//! runs the hub's own scripts only, and not at all unless switched on.

use reqwest::{Method, StatusCode};

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_explorer_page_loads_only_the_hubs_own_scripts() {
    let app = spawn_app_with(|s| s.server.graphiql = true).await;
    let page = app.request(Method::GET, "/graphiql").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(html.contains("X-Purpose") && html.contains("Authorization"));
    let scripts: Vec<&str> = html
        .split("<script src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(scripts.len(), 5, "{scripts:?}");
    for script in scripts {
        let asset = app.request(Method::GET, script).send().await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK, "{script}");
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript"),
            "{script}"
        );
        let tag = asset.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .request(Method::GET, script)
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    let missing = app
        .request(Method::GET, "/graphiql/assets/nope.js")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_explorer_is_off_unless_enabled() {
    let app = spawn_app().await;
    for path in ["/graphiql", "/graphiql/assets/graphiql.min.js"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
