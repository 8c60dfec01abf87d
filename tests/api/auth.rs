//! Identity at the edge: good tokens become a principal; every bad one is a 401, never
//! anonymous.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use cunhub::auth::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const QUERY: &str = "{ __typename }";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(app: &TestApp) -> Value {
    json!({
        "sub": "u1", "role": "village_assistant", "region": "220122101201",
        "iss": app.settings.auth.issuer, "aud": app.settings.auth.audience,
        "iat": now(), "nbf": now(), "exp": now() + 600,
    })
}

fn hs256(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn dev_secret() -> &'static str {
    cunhub::auth::DEVELOPMENT_SECRET
}

async fn refused_with(app: &TestApp, token: &str, reason: &str) {
    let response = app.graphql(QUERY).bearer(token).send().await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{reason}: {}",
        response.body
    );
    assert_eq!(response.error_codes(), ["INVALID_TOKEN"], "{reason}");
    assert_eq!(response.body["errors"][0]["extensions"]["reason"], reason);
    assert!(response.body.get("data").is_none());
    assert!(response.headers.get("www-authenticate").is_some());
}

#[tokio::test]
async fn a_minted_token_is_accepted() {
    let app = spawn_app().await;
    let token = app.token(Role::VillageAssistant, "220122101201");
    let response = app
        .graphql(r#"{ region(code: "220122") { name } }"#)
        .bearer(token)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.data()["region"]["name"], "农安县");
}

#[tokio::test]
async fn anonymous_callers_read_the_division_tree() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "220122") { name } }"#)
        .send()
        .await;
    assert_eq!(response.data()["region"]["name"], "农安县");
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let app = spawn_app().await;
    let mut expired = claims(&app);
    expired["exp"] = json!(now() - 3600);
    refused_with(&app, &hs256(&expired, dev_secret()), "EXPIRED").await;
    let mut early = claims(&app);
    early["nbf"] = json!(now() + 3600);
    refused_with(&app, &hs256(&early, dev_secret()), "NOT_YET_VALID").await;
}

#[tokio::test]
async fn a_token_living_longer_than_the_maximum_is_refused() {
    let app = spawn_app().await;
    let hour = 3600;
    // Exactly the default maximum (12h) is accepted.
    let mut twelve = claims(&app);
    twelve["exp"] = json!(now() + 12 * hour);
    let response = app
        .graphql(QUERY)
        .bearer(hs256(&twelve, dev_secret()))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    // Measured from iat: issued two hours ago, valid for eleven more.
    let mut from_iat = claims(&app);
    from_iat["iat"] = json!(now() - 2 * hour);
    from_iat["exp"] = json!(now() + 11 * hour);
    refused_with(&app, &hs256(&from_iat, dev_secret()), "LIFETIME_TOO_LONG").await;
    // Without iat, from nbf.
    let mut from_nbf = claims(&app);
    from_nbf.as_object_mut().unwrap().remove("iat");
    from_nbf["nbf"] = json!(now() - 2 * hour);
    from_nbf["exp"] = json!(now() + 11 * hour);
    refused_with(&app, &hs256(&from_nbf, dev_secret()), "LIFETIME_TOO_LONG").await;
    // A year-long token.
    let mut year = claims(&app);
    year["exp"] = json!(now() + 365 * 24 * hour);
    refused_with(&app, &hs256(&year, dev_secret()), "LIFETIME_TOO_LONG").await;
}

#[tokio::test]
async fn the_maximum_lifetime_is_a_setting() {
    let app =
        spawn_app_with(|s| s.auth.max_token_lifetime = std::time::Duration::from_secs(300)).await;
    let mut ten_minutes = claims(&app);
    ten_minutes["exp"] = json!(now() + 600);
    refused_with(
        &app,
        &hs256(&ten_minutes, dev_secret()),
        "LIFETIME_TOO_LONG",
    )
    .await;
    let mut five_minutes = claims(&app);
    five_minutes["exp"] = json!(now() + 300);
    let response = app
        .graphql(QUERY)
        .bearer(hs256(&five_minutes, dev_secret()))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
}

#[tokio::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = spawn_app().await;
    // Beyond the 30s leeway: refused with its own reason, even though nbf and exp pass.
    let mut ahead = claims(&app);
    ahead["iat"] = json!(now() + 3600);
    refused_with(&app, &hs256(&ahead, dev_secret()), "ISSUED_IN_FUTURE").await;
    // Within the leeway: a clock difference, accepted.
    let mut skewed = claims(&app);
    skewed["iat"] = json!(now() + 10);
    let response = app
        .graphql(QUERY)
        .bearer(hs256(&skewed, dev_secret()))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
}

#[tokio::test]
async fn a_wrong_signature_or_tampered_payload_is_refused() {
    let app = spawn_app().await;
    refused_with(
        &app,
        &hs256(&claims(&app), "another-secret"),
        "BAD_SIGNATURE",
    )
    .await;
    let token = hs256(&claims(&app), dev_secret());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload = claims(&app);
    payload["role"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    refused_with(&app, &parts.join("."), "BAD_SIGNATURE").await;
}

#[tokio::test]
async fn wrong_or_missing_audience_and_issuer_are_refused() {
    let app = spawn_app().await;
    let mut wrong_aud = claims(&app);
    wrong_aud["aud"] = json!("someone-else");
    refused_with(&app, &hs256(&wrong_aud, dev_secret()), "WRONG_AUDIENCE").await;
    let mut no_aud = claims(&app);
    no_aud.as_object_mut().unwrap().remove("aud");
    refused_with(&app, &hs256(&no_aud, dev_secret()), "MISSING_CLAIM").await;
    let mut wrong_iss = claims(&app);
    wrong_iss["iss"] = json!("elsewhere");
    refused_with(&app, &hs256(&wrong_iss, dev_secret()), "WRONG_ISSUER").await;
    let mut no_exp = claims(&app);
    no_exp.as_object_mut().unwrap().remove("exp");
    refused_with(&app, &hs256(&no_exp, dev_secret()), "MISSING_CLAIM").await;
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = spawn_app().await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&app).to_string());
    let response = app
        .graphql(QUERY)
        .bearer(format!("{header}.{payload}."))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.error_codes(), ["INVALID_TOKEN"]);
}

#[tokio::test]
async fn unknown_roles_regions_and_garbage_are_refused() {
    let app = spawn_app().await;
    let mut bad_role = claims(&app);
    bad_role["role"] = json!("superuser");
    refused_with(&app, &hs256(&bad_role, dev_secret()), "INVALID_CLAIM").await;
    let mut bad_region = claims(&app);
    bad_region["region"] = json!("22x");
    refused_with(&app, &hs256(&bad_region, dev_secret()), "INVALID_CLAIM").await;
    let mut clerk = claims(&app);
    clerk["role"] = json!("department_clerk");
    refused_with(&app, &hs256(&clerk, dev_secret()), "MISSING_CLAIM").await;
    refused_with(&app, "garbage", "MALFORMED").await;
    let response = app
        .request(reqwest::Method::POST, "/graphql")
        .header("content-type", "application/json")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(json!({ "query": QUERY }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rs256_and_es256_tokens_verify_with_a_configured_public_key() {
    for (alg, private, public) in [
        (
            Algorithm::RS256,
            "tests/fixtures/rsa_private.pem",
            "tests/fixtures/rsa_public.pem",
        ),
        (
            Algorithm::ES256,
            "tests/fixtures/ec_private.pem",
            "tests/fixtures/ec_public.pem",
        ),
    ] {
        let app = spawn_app_with(|s| {
            s.auth.algorithms = vec![format!("{alg:?}")];
            s.auth.public_key_file = Some(public.into());
        })
        .await;
        let pem = std::fs::read(private).unwrap();
        let key = match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
            _ => EncodingKey::from_ec_pem(&pem).unwrap(),
        };
        let token = encode(&Header::new(alg), &claims(&app), &key).unwrap();
        let response = app.graphql(QUERY).bearer(token).send().await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{alg:?}: {}",
            response.body
        );
        // An HS256 token is not accepted where only the asymmetric algorithm is listed.
        refused_with(
            &app,
            &hs256(&claims(&app), dev_secret()),
            "UNLISTED_ALGORITHM",
        )
        .await;
    }
}

#[tokio::test]
async fn the_public_key_used_as_an_hmac_secret_is_refused() {
    let app = spawn_app_with(|s| {
        s.auth.algorithms = vec!["RS256".into(), "HS256".into()];
        s.auth.public_key_file = Some("tests/fixtures/rsa_public.pem".into());
    })
    .await;
    let public = std::fs::read_to_string("tests/fixtures/rsa_public.pem").unwrap();
    refused_with(&app, &hs256(&claims(&app), &public), "BAD_SIGNATURE").await;
    let other = std::fs::read("tests/fixtures/rsa_other_private.pem").unwrap();
    let token = encode(
        &Header::new(Algorithm::RS256),
        &claims(&app),
        &EncodingKey::from_rsa_pem(&other).unwrap(),
    )
    .unwrap();
    refused_with(&app, &token, "BAD_SIGNATURE").await;
}

/// A JWKS endpoint on 127.0.0.1:0 serving `keys`, counting its fetches.
struct JwksServer {
    url: String,
    keys: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl JwksServer {
    async fn start(keys: Vec<Value>) -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let shared = std::sync::Arc::new(std::sync::Mutex::new(keys));
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let (served, counted) = (shared.clone(), fetches.clone());
        let server = HttpServer::new(move || {
            let (served, counted) = (served.clone(), counted.clone());
            App::new().route(
                "/jwks.json",
                web::get().to(move || {
                    let (served, counted) = (served.clone(), counted.clone());
                    async move {
                        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let keys = served.lock().unwrap().clone();
                        HttpResponse::Ok().json(json!({ "keys": keys }))
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self {
            url,
            keys: shared,
            fetches,
        }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A JWK from the fixtures, named `kid`.
fn jwk(file: &str, kid: &str) -> Value {
    let mut jwk: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("tests/fixtures/{file}")).unwrap())
            .unwrap();
    jwk["kid"] = json!(kid);
    jwk
}

fn signed(app: &TestApp, alg: Algorithm, kid: Option<&str>, private_pem: &str) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let pem = std::fs::read(format!("tests/fixtures/{private_pem}")).unwrap();
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    encode(&header, &claims(app), &key).unwrap()
}

async fn spawn_with_jwks(jwks: &JwksServer, algorithms: &[&str]) -> TestApp {
    let url = jwks.url.clone();
    let algorithms: Vec<String> = algorithms.iter().map(|a| a.to_string()).collect();
    spawn_app_with(move |s| {
        s.auth.algorithms = algorithms;
        s.auth.jwks_url = Some(url);
        s.auth.jwks_refresh = std::time::Duration::from_secs(1);
        s.auth.hs256_secret = Some("a-test-secret".to_owned().into());
    })
    .await
}

#[tokio::test]
async fn a_jwks_key_verifies_tokens_by_kid() {
    let jwks = JwksServer::start(vec![jwk("rsa_public.jwk.json", "k1")]).await;
    let app = spawn_with_jwks(&jwks, &["RS256"]).await;
    let token = signed(&app, Algorithm::RS256, Some("k1"), "rsa_private.pem");
    for _ in 0..3 {
        let response = app.graphql(QUERY).bearer(&token).send().await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    }
    assert_eq!(jwks.fetches(), 1, "the key set is cached");
    // The right kid, the wrong key.
    let forged = signed(&app, Algorithm::RS256, Some("k1"), "rsa_other_private.pem");
    refused_with(&app, &forged, "BAD_SIGNATURE").await;
    // A token without kid has no static key to fall back on.
    let bare = signed(&app, Algorithm::RS256, None, "rsa_private.pem");
    refused_with(&app, &bare, "UNKNOWN_KEY").await;
}

#[tokio::test]
async fn an_unknown_kid_is_refused_and_refetches_at_most_once_per_interval() {
    let jwks = JwksServer::start(vec![jwk("rsa_public.jwk.json", "k1")]).await;
    let app = spawn_with_jwks(&jwks, &["RS256"]).await;
    let first = signed(&app, Algorithm::RS256, Some("k1"), "rsa_private.pem");
    assert_eq!(
        app.graphql(QUERY).bearer(&first).send().await.status,
        StatusCode::OK
    );
    let rotated = signed(&app, Algorithm::RS256, Some("k2"), "rsa_other_private.pem");
    refused_with(&app, &rotated, "UNKNOWN_KEY").await;
    // The provider rotates; within the interval the hub does not ask again.
    jwks.keys
        .lock()
        .unwrap()
        .push(jwk("rsa_other_public.jwk.json", "k2"));
    for _ in 0..5 {
        refused_with(&app, &rotated, "UNKNOWN_KEY").await;
    }
    assert_eq!(jwks.fetches(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = app.graphql(QUERY).bearer(&rotated).send().await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(jwks.fetches(), 2);
    refused_with(
        &app,
        &signed(&app, Algorithm::RS256, Some("made-up"), "rsa_private.pem"),
        "UNKNOWN_KEY",
    )
    .await;
    assert_eq!(
        jwks.fetches(),
        2,
        "a made-up kid right after a fetch fetches nothing"
    );
}

#[tokio::test]
async fn hs256_signed_with_the_jwks_public_key_is_refused() {
    let jwks = JwksServer::start(vec![jwk("rsa_public.jwk.json", "k1")]).await;
    let public = std::fs::read_to_string("tests/fixtures/rsa_public.pem").unwrap();
    let n = jwk("rsa_public.jwk.json", "k1")["n"]
        .as_str()
        .unwrap()
        .to_owned();
    let forge = |app: &TestApp, secret: &str| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        encode(
            &header,
            &claims(app),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    // Only RS256 listed: HS256 is not an option at all.
    let app = spawn_with_jwks(&jwks, &["RS256"]).await;
    refused_with(&app, &forge(&app, &public), "UNLISTED_ALGORITHM").await;
    // Both listed: HS256 only ever means the configured secret, whatever the kid says.
    let app = spawn_with_jwks(&jwks, &["RS256", "HS256"]).await;
    refused_with(&app, &forge(&app, &public), "BAD_SIGNATURE").await;
    refused_with(&app, &forge(&app, &n), "BAD_SIGNATURE").await;
}

#[tokio::test]
async fn unlisted_algorithms_are_refused_with_jwks() {
    let jwks = JwksServer::start(vec![jwk("rsa_public.jwk.json", "k1")]).await;
    let app = spawn_with_jwks(&jwks, &["RS256"]).await;
    refused_with(
        &app,
        &signed(&app, Algorithm::RS384, Some("k1"), "rsa_private.pem"),
        "UNLISTED_ALGORITHM",
    )
    .await;
    refused_with(
        &app,
        &signed(&app, Algorithm::ES256, Some("k1"), "ec_private.pem"),
        "UNLISTED_ALGORITHM",
    )
    .await;
    assert_eq!(
        jwks.fetches(),
        0,
        "an unlisted algorithm never reaches the key set"
    );
}

#[tokio::test]
async fn an_unreachable_jwks_is_a_clear_refusal() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(move |s| {
        s.auth.algorithms = vec!["RS256".into()];
        s.auth.jwks_url = Some(url);
    })
    .await;
    let token = signed(&app, Algorithm::RS256, Some("k1"), "rsa_private.pem");
    refused_with(&app, &token, "KEY_SET_UNAVAILABLE").await;
}

#[test]
fn the_token_command_refuses_a_lifetime_beyond_the_maximum() {
    let cunhub = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cunhub"));
        command.env_remove("CUNHUB_TEST_DATABASE_URL");
        command.args(["token", "--role", "admin", "--region", "22"]);
        command
    };
    let output = cunhub().args(["--ttl", "30d"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("longer than the 43200s"), "{stderr}");
    let output = cunhub()
        .args(["--ttl", "2h"])
        .env("CUNHUB_AUTH_MAX_TOKEN_LIFETIME", "1h")
        .output()
        .unwrap();
    assert!(!output.status.success(), "the setting lowers the maximum");
    assert!(
        cunhub()
            .args(["--ttl", "1h"])
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[tokio::test]
async fn a_token_whose_region_is_not_at_its_roles_level_is_refused_over_http_and_websocket() {
    use crate::websocket::{next_json, open, send};
    let app = spawn_app().await;
    // A village assistant acts for one village: a province-wide token lists nobody, it is
    // refused outright.
    let mut province = claims(&app);
    province["region"] = json!("22");
    let token = hs256(&province, dev_secret());
    refused_with(&app, &token, "REGION_LEVEL").await;
    let response = app.graphql(QUERY).bearer(&token).send().await;
    let message = response.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("village (12 digits)") && message.contains("province"),
        "{message}"
    );
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["closed"], 4403);
    // The same claims at the village level are accepted.
    let response = app
        .graphql(QUERY)
        .bearer(hs256(&claims(&app), dev_secret()))
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
}

#[test]
fn the_token_command_does_not_mint_a_token_of_the_wrong_level() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cunhub"))
        .env_remove("CUNHUB_TEST_DATABASE_URL")
        .args(["token", "--role", "village_assistant", "--region", "22"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("village (12 digits)"), "{stderr}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cunhub"))
        .env_remove("CUNHUB_TEST_DATABASE_URL")
        .args(["token", "--role", "police", "--region", "220122"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
