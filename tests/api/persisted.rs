//! Trusted documents and automatic persisted queries: Apollo's protocol (a hash first,
//! `PERSISTED_QUERY_NOT_FOUND` with 200, then the text once), registered documents by
//! `documentId` from a manifest, and callers held to registered documents only.

use cunhub::{auth::Role, http::documents::sha256_hex};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, read, region_for, spawn_app, spawn_app_with};

const QUERY: &str = r#"query Province { region(code: "22") { name } }"#;

async fn post(app: &TestApp, body: Value, token: Option<&str>) -> TestResponse {
    let mut request = app
        .request(Method::POST, "/graphql")
        .header(
            "accept",
            "application/graphql-response+json, application/json;q=0.9",
        )
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    read(request.send().await.unwrap()).await
}

fn hashed(query: Option<&str>, hash: &str) -> Value {
    let mut body =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    body
}

#[tokio::test]
async fn an_unknown_hash_is_not_found_with_200_then_registered_by_its_text() {
    let app = spawn_app().await;
    let hash = sha256_hex(QUERY);
    let first = post(&app, hashed(None, &hash), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.error_codes(), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(first.body["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(first.body.get("data").is_none());

    let registered = post(&app, hashed(Some(QUERY), &hash), None).await;
    assert_eq!(registered.data()["region"]["name"], "吉林省");

    let by_hash = post(&app, hashed(None, &hash), None).await;
    assert_eq!(by_hash.data()["region"]["name"], "吉林省");

    // As Apollo's link sends hashed queries over GET.
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let over_get = read(
        app.request(Method::GET, "/graphql")
            .query(&[
                ("extensions", extensions.as_str()),
                ("operationName", "Province"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(over_get.data()["region"]["name"], "吉林省");
}

#[tokio::test]
async fn a_text_that_does_not_match_its_hash_is_refused() {
    let app = spawn_app().await;
    let response = post(
        &app,
        hashed(Some("{ __typename }"), &sha256_hex(QUERY)),
        None,
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_codes(), ["BAD_REQUEST"]);
}

#[tokio::test]
async fn without_automatic_queries_a_hash_is_not_supported_with_200() {
    let app = spawn_app_with(|s| s.documents.automatic = false).await;
    let response = post(&app, hashed(None, &sha256_hex(QUERY)), None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.error_codes(), ["PERSISTED_QUERY_NOT_SUPPORTED"]);
    // The client then sends the text alone, which runs.
    let plain = post(&app, json!({ "query": QUERY }), None).await;
    assert_eq!(plain.data()["region"]["name"], "吉林省");
}

const COUNTY: &str = r#"query County { region(code: "220122") { name } }"#;

/// A hub whose manifests (a codegen file and an Apollo manifest, in one folder) register
/// `QUERY` and `COUNTY`, and where everyone but the admin runs registered documents only.
async fn trusted_hub() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("persisted-documents.json"),
        json!({ sha256_hex(QUERY): QUERY }).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("apollo-manifest.json"),
        json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": "county-1", "name": "County", "type": "query", "body": COUNTY }]
        })
        .to_string(),
    )
    .unwrap();
    let folder = dir.path().to_owned();
    let app = spawn_app_with(move |s| {
        s.documents.manifest = Some(folder);
        s.documents.trusted_only = vec!["*".into(), "!admin".into()];
    })
    .await;
    (app, dir)
}

#[tokio::test]
async fn registered_documents_run_by_id_or_hash_for_trusted_only_callers() {
    let (app, _dir) = trusted_hub().await;
    let assistant = app.token(Role::VillageAssistant, region_for(Role::VillageAssistant));
    let by_id = post(
        &app,
        json!({ "documentId": sha256_hex(QUERY) }),
        Some(&assistant),
    )
    .await;
    assert_eq!(by_id.data()["region"]["name"], "吉林省");
    let prefixed = post(
        &app,
        json!({ "documentId": format!("sha256:{}", sha256_hex(QUERY)) }),
        None,
    )
    .await;
    assert_eq!(prefixed.data()["region"]["name"], "吉林省");
    let apollo = post(&app, json!({ "documentId": "county-1" }), None).await;
    assert_eq!(apollo.data()["region"]["name"], "农安县");
    let by_hash = post(&app, hashed(None, &sha256_hex(COUNTY)), Some(&assistant)).await;
    assert_eq!(by_hash.data()["region"]["name"], "农安县");
    let unknown = post(&app, json!({ "documentId": "nope" }), None).await;
    assert_eq!(unknown.error_codes(), ["PERSISTED_QUERY_NOT_FOUND"]);
}

#[tokio::test]
async fn a_trusted_only_caller_cannot_run_or_register_other_documents() {
    let (app, _dir) = trusted_hub().await;
    let assistant = app.token(Role::VillageAssistant, region_for(Role::VillageAssistant));
    let other = "{ __typename }";
    let text = post(&app, json!({ "query": other }), Some(&assistant)).await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST);
    assert_eq!(text.error_codes(), ["PERSISTED_QUERY_NOT_IN_LIST"]);
    let anonymous = post(&app, json!({ "query": other }), None).await;
    assert_eq!(anonymous.error_codes(), ["PERSISTED_QUERY_NOT_IN_LIST"]);

    let hash = sha256_hex(other);
    let not_found = post(&app, hashed(None, &hash), Some(&assistant)).await;
    assert_eq!(not_found.status, StatusCode::OK);
    assert_eq!(not_found.error_codes(), ["PERSISTED_QUERY_NOT_FOUND"]);
    let register = post(&app, hashed(Some(other), &hash), Some(&assistant)).await;
    assert_eq!(register.error_codes(), ["PERSISTED_QUERY_NOT_IN_LIST"]);

    // The text of a registered document is as good as its id.
    let same_text = post(&app, json!({ "query": QUERY }), Some(&assistant)).await;
    assert_eq!(same_text.data()["region"]["name"], "吉林省");

    // The admin is left out of the rule.
    let admin = app.token(Role::Admin, region_for(Role::Admin));
    let free = post(&app, json!({ "query": other }), Some(&admin)).await;
    assert_eq!(free.data()["__typename"], "Query");
}

#[tokio::test]
async fn a_request_naming_no_document_is_a_bad_request() {
    let app = spawn_app().await;
    let response = post(&app, json!({ "variables": {} }), None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let both = post(&app, json!({ "query": QUERY, "documentId": "x" }), None).await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
}
