//! What caches may keep: an anonymous GET query of public data (the division tree) is
//! cacheable and revalidated by its `ETag`; an answer to a token or to a POST is
//! `no-store`.

use cunhub::auth::Role;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, region_for, spawn_app};

const TREE: &str =
    r#"{ region(code: "220122") { name children(first: 5) { edges { node { code name } } } } }"#;

fn get(app: &TestApp) -> reqwest::RequestBuilder {
    app.request(Method::GET, "/graphql")
        .query(&[("query", TREE)])
        .header("accept", "application/graphql-response+json")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_anonymous_get_of_the_division_tree_is_cacheable_and_revalidated() {
    let app = spawn_app().await;
    let first = get(&app).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, "cache-control"), "public, max-age=300");
    let vary = header(&first, "vary");
    assert!(
        vary.contains("Accept-Encoding") && vary.contains("Accept-Language"),
        "{vary}"
    );
    let tag = header(&first, "etag");
    assert!(tag.starts_with("W/\""), "{tag}");
    let body = first.text().await.unwrap();
    assert!(body.contains("农安县"), "{body}");

    let again = get(&app)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), tag);
    assert!(again.bytes().await.unwrap().is_empty());

    let changed = get(&app)
        .header("if-none-match", "W/\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test]
async fn answers_to_a_token_or_a_post_are_not_stored() {
    let app = spawn_app().await;
    let token = app.token(Role::TownshipOfficer, region_for(Role::TownshipOfficer));
    let with_token = get(&app).bearer_auth(token).send().await.unwrap();
    assert_eq!(with_token.status(), StatusCode::OK);
    assert_eq!(header(&with_token, "cache-control"), "no-store");
    assert_eq!(header(&with_token, "etag"), "");

    let posted = app.graphql(TREE).send().await;
    assert_eq!(posted.status, StatusCode::OK);
    assert_eq!(
        posted
            .headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap(),
        "no-store"
    );
}
