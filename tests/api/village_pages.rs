//! `/villages/{code}/services` and `/villages/{code}/poster`: served from the binary under
//! the dashboard's strict policy, the poster with the hub's QR code of the list's address
//! under `server.public_base_url`; a code that names no village is 404. What the pages do
//! in a browser, and that the QR code decodes, is tested by the client suite
//! (`tests/clients/test/villages.test.mjs`).

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const VILLAGE: &str = "220122101201";

async fn get(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.request(Method::GET, path).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn the_pages_and_their_files_are_served_under_a_strict_policy() {
    let app = spawn_app().await;
    for page in ["services", "poster"] {
        let (status, headers, html) = get(&app, &format!("/villages/{VILLAGE}/{page}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"));
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        // Every script is a file of the hub: none inline, none from elsewhere.
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script src=\"village.js\"").count()
        );
        // Nothing is loaded from another host (the SVG namespace is a name, the poster's
        // own address a text).
        let loads = html
            .replace("http://www.w3.org/2000/svg", "")
            .replace(&app.address, "");
        assert!(!loads.contains("://"), "{page}");
    }
    for (file, kind) in [
        ("village.js", "text/javascript"),
        ("village.css", "text/css"),
        ("poster.css", "text/css"),
    ] {
        let (status, headers, text) = get(&app, &format!("/villages/{VILLAGE}/{file}")).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{file}"
        );
        assert!(!text.contains("://"), "{file} names another host");
    }
    for path in [
        "/villages/220122101999/services",
        "/villages/220122101/services",
        "/villages/220122101000/poster",
        &format!("/villages/{VILLAGE}/poster.html"),
        &format!("/villages/{VILLAGE}/nothing.js"),
    ] {
        let (status, _, _) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_posters_qr_code_points_under_the_public_base_url() {
    let app =
        spawn_app_with(|s| s.server.public_base_url = "https://cunhub.example.cn/hub/".into())
            .await;
    let (status, _, html) = get(&app, &format!("/villages/{VILLAGE}/poster")).await;
    assert_eq!(status, StatusCode::OK);
    let address = format!("https://cunhub.example.cn/hub/villages/{VILLAGE}/services");
    assert!(
        html.contains(&format!(">{address}<")),
        "the address is written out"
    );
    let qr = html.split("<figure id=\"qr\"").nth(1).unwrap_or_default();
    assert!(
        qr.contains("<svg") && qr.contains("</svg>"),
        "the QR code is drawn in"
    );
    assert!(!html.contains("{{address}}") && !html.contains("<!--qr-->"));

    // Without the setting, the address the poster was asked for at.
    let app = spawn_app().await;
    let (_, _, html) = get(&app, &format!("/villages/{VILLAGE}/poster")).await;
    let own = format!("{}/villages/{VILLAGE}/services", app.address);
    assert!(html.contains(&format!(">{own}<")), "{own}");
}

#[tokio::test]
async fn a_bad_public_base_url_is_refused_at_start() {
    let mut settings = cunhub::config::Settings::default();
    settings.server.public_base_url = "cunhub.example.cn".into();
    let problem = settings.server.problem();
    assert_eq!(problem.map(|(key, _)| key), Some("server.public_base_url"));
}
