//! The production posture: `serve` refuses a hub anyone could mint tokens for or that
//! would run on the public development keys, and GraphiQL, anonymous introspection and
//! field suggestions are off unless enabled.

use std::process::Command;

use cunhub::auth::Role;
use reqwest::{Method, StatusCode};

use crate::helpers::{spawn_app, spawn_app_with};

fn serve_with(envs: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
    let mut command = Command::new(env!("CARGO_BIN_EXE_cunhub"));
    command
        .args(["--database-url", &url, "--bind", "127.0.0.1:0", "serve"])
        .env_remove("CUNHUB_TEST_DATABASE_URL");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn serve_refuses_to_start_without_a_real_verification_key() {
    let output = serve_with(&[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to serve") && stderr.contains("auth.hs256_secret"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_the_development_secret_next_to_a_real_key() {
    let output = serve_with(&[
        ("CUNHUB_AUTH_ALGORITHMS", "[HS256,RS256]"),
        (
            "CUNHUB_AUTH_PUBLIC_KEY_FILE",
            "tests/fixtures/rsa_public.pem",
        ),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("development secret") && stderr.contains("auth.hs256_secret"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_the_development_keys_naming_each_setting() {
    let token_secret = ("CUNHUB_AUTH_HS256_SECRET", "a-real-secret-of-the-province");
    let output = serve_with(&[token_secret]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for setting in [
        "audit.checkpoint_key",
        "privacy.lookup_key",
        "privacy.encryption_keys",
        "openssl rand -base64 32",
    ] {
        assert!(stderr.contains(setting), "{setting}: {stderr}");
    }
    // With two of the three keys, the third is named alone.
    let key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let output = serve_with(&[
        token_secret,
        ("CUNHUB_AUDIT_CHECKPOINT_KEY", key),
        ("CUNHUB_PRIVACY_LOOKUP_KEY", key),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("privacy.encryption_keys")
            && !stderr.contains("privacy.lookup_key")
            && !stderr.contains("audit.checkpoint_key"),
        "{stderr}"
    );
}

#[tokio::test]
async fn graphiql_is_not_served_by_default() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/graphiql").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

const INTROSPECTION: &str = "{ __schema { queryType { name } } }";
const TYPE: &str = r#"{ __type(name: "Resident") { fields { name } } }"#;

#[tokio::test]
async fn anonymous_introspection_is_refused_by_default() {
    let app = spawn_app().await;
    let hidden =
        "query Q { ...F } fragment F on Query { ... on Query { s: __schema { types { name } } } }";
    for query in [INTROSPECTION, TYPE, hidden] {
        let response = app.graphql(query).send().await;
        assert_eq!(response.error_codes(), ["FORBIDDEN"], "{query}");
        assert!(response.body.get("data").is_none(), "{}", response.body);
        assert!(
            !response.body.to_string().contains("Resident\""),
            "{}",
            response.body
        );
    }
    // `__typename` is not introspection.
    let response = app.graphql("{ __typename }").send().await;
    assert_eq!(response.data()["__typename"], "Query");
    // A caller with a token may introspect.
    let token = app.token(Role::VillageAssistant, "220122101201");
    let response = app.graphql(INTROSPECTION).bearer(&token).send().await;
    assert_eq!(response.data()["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn introspection_is_answered_when_enabled() {
    let app = spawn_app_with(|s| s.server.introspection = true).await;
    let response = app.graphql(INTROSPECTION).send().await;
    assert_eq!(response.data()["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn errors_suggest_no_field_names_by_default() {
    let typo = r#"{ regoin(code: "22") { name } }"#;
    let app = spawn_app().await;
    let response = app.graphql(typo).send().await;
    assert_eq!(response.error_codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(
        !response.body.to_string().contains("Did you mean"),
        "{}",
        response.body
    );
    let app = spawn_app_with(|s| s.server.suggestions = true).await;
    let response = app.graphql(typo).send().await;
    assert!(
        response.body.to_string().contains("Did you mean"),
        "{}",
        response.body
    );
}
