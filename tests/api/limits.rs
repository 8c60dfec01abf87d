//! Every document limit refuses with its own code before anything runs.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = spawn_app().await;
    let depth = app.settings.limits.max_depth;
    let query = format!(
        r#"{{ region(code: "220122101201") {{ {} name {} }} }}"#,
        "parent {".repeat(depth),
        "}".repeat(depth)
    );
    let response = app.graphql(&query).send().await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_codes(), ["QUERY_TOO_DEEP"]);
}

#[tokio::test]
async fn complexity_multiplies_by_first() {
    let app = spawn_app().await;
    let response = app
        .graphql("{ regions(first: 100) { nodes { children(first: 100) { nodes { name } } } } }")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"]);
    let response = app
        .graphql("{ regions(first: 10) { nodes { children(first: 10) { nodes { name } } } } }")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let app = spawn_app().await;
    let fields: String = (0..=app.settings.limits.max_aliases)
        .map(|i| format!("a{i}: __typename "))
        .collect();
    let response = app.graphql(&format!("{{ {fields} }}")).send().await;
    assert_eq!(response.error_codes(), ["TOO_MANY_ALIASES"]);
}

#[tokio::test]
async fn too_many_root_fields_are_refused() {
    let app = spawn_app().await;
    let fields = r#"region(code: "22") { name } "#.repeat(app.settings.limits.max_root_fields + 1);
    let response = app.graphql(&format!("{{ {fields} }}")).send().await;
    assert_eq!(response.error_codes(), ["TOO_MANY_ROOT_FIELDS"]);
}

#[tokio::test]
async fn too_many_tokens_are_refused_before_parsing() {
    let app = spawn_app().await;
    // Unbalanced on purpose: the token limit answers before the parser would fail.
    let query = format!(
        "{{ {}",
        "__typename ".repeat(app.settings.limits.max_tokens)
    );
    let response = app.graphql(&query).send().await;
    assert_eq!(response.error_codes(), ["TOO_MANY_TOKENS"]);
}

#[tokio::test]
async fn tooling_introspection_still_works() {
    // Anonymous introspection is off by default (tests/api/posture.rs); here it is enabled.
    let app = spawn_app_with(|s| s.server.introspection = true).await;
    let type_ref = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }";
    let query = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} types {{ kind name description fields(includeDeprecated: true) {{ name args {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }} }}"
    );
    let response = app.graphql(&query).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.data()["__schema"]["queryType"]["name"], "Query");
}
