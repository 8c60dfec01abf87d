//! Answers compressed by `Accept-Encoding` (gzip, brotli) above the size threshold, and
//! plain below it.

use std::io::Read;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const LARGE: &str = "{ regions(level: VILLAGE, first: 100) { edges { node { code name } } } }";

async fn post(app: &TestApp, query: &str, encoding: Option<&str>) -> reqwest::Response {
    let mut request = app
        .request(Method::POST, "/graphql")
        .json(&json!({ "query": query }));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    request.send().await.unwrap()
}

fn encoding(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned())
}

fn villages(body: &[u8]) -> usize {
    let value: Value = serde_json::from_slice(body).unwrap();
    value["data"]["regions"]["edges"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_large_answer_is_gzipped_for_a_client_that_accepts_gzip() {
    let app = spawn_app().await;
    let response = post(&app, LARGE, Some("gzip")).await;
    assert_eq!(encoding(&response).as_deref(), Some("gzip"));
    assert!(response.headers().get_all("vary").iter().any(|v| {
        v.to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    }));
    let compressed = response.bytes().await.unwrap();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(villages(&plain), 100);
    assert!(
        compressed.len() * 3 < plain.len(),
        "{} of {}",
        compressed.len(),
        plain.len()
    );
}

#[tokio::test]
async fn a_large_answer_is_brotli_for_a_client_that_prefers_it() {
    let app = spawn_app().await;
    let response = post(&app, LARGE, Some("br, gzip;q=0.5")).await;
    assert_eq!(encoding(&response).as_deref(), Some("br"));
    let compressed = response.bytes().await.unwrap();
    let mut plain = Vec::new();
    brotli_decompressor::Decompressor::new(&compressed[..], 4096)
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(villages(&plain), 100);
}

#[tokio::test]
async fn small_answers_and_clients_without_accept_encoding_get_plain_json() {
    let app = spawn_app().await;
    let small = post(&app, "{ __typename }", Some("gzip, br")).await;
    assert_eq!(encoding(&small), None);
    assert_eq!(
        small.json::<Value>().await.unwrap()["data"]["__typename"],
        "Query"
    );
    let unasked = post(&app, LARGE, None).await;
    assert_eq!(encoding(&unasked), None);
    assert_eq!(villages(&unasked.bytes().await.unwrap()), 100);
}

#[tokio::test]
async fn the_threshold_is_a_setting() {
    let app = spawn_app_with(|s| s.server.compress_min_bytes = 10).await;
    let small = post(&app, "{ __typename }", Some("gzip")).await;
    assert_eq!(encoding(&small).as_deref(), Some("gzip"));
}
