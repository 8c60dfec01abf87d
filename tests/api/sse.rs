//! GraphQL over server-sent events (`graphql-sse`, distinct connections) at
//! `/graphql/stream`: results as `next` events then `complete`, the same door, purpose
//! and audit as the WebSocket, an end at token expiry, and never compressed.

use std::time::{Duration, Instant};

use cunhub::{
    auth::{Role, TokenRequest, mint_development_token},
    domain::RegionCode,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TOWNSHIP, TestApp, spawn_app, spawn_app_with, spawn_hub_with_departments},
    subscriptions::{open_request, residents_of_two_villages},
};

const CHANGES: &str =
    "subscription { serviceRequestChanged { request { id status } event { kind } } }";

/// An open event stream of `query`.
struct Events {
    body: reqwest::Response,
    buffer: String,
    headers: reqwest::header::HeaderMap,
}

impl Events {
    async fn open(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> Self {
        let mut request = app
            .request(Method::POST, "/graphql/stream")
            .header("accept", "text/event-stream")
            .header("accept-encoding", "gzip, br")
            .json(&json!({ "query": query }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        Self {
            body: response,
            buffer: String::new(),
            headers,
        }
    }

    /// The next event as `(name, data)`.
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = value.to_owned();
                    } else if let Some(value) =
                        line.strip_prefix("data: ").or(line.strip_prefix("data:"))
                    {
                        data.push_str(value);
                    }
                }
                let data = serde_json::from_str(&data).unwrap_or(Value::Null);
                return (name, data);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(15), self.body.chunk())
                .await
                .expect("an event within 15s")
                .unwrap()
                .expect("the stream is open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn a_query_is_one_next_event_then_complete_and_never_compressed() {
    let app = spawn_app().await;
    let mut events = Events::open(&app, r#"{ region(code: "22") { name } }"#, &[]).await;
    assert!(
        events.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(events.headers.get("content-encoding").is_none());
    let (name, data) = events.next().await;
    assert_eq!(name, "next");
    assert_eq!(data["data"]["region"]["name"], "吉林省");
    assert_eq!(events.next().await.0, "complete");
}

#[tokio::test]
async fn a_subscription_without_a_purpose_is_refused_at_the_door() {
    let app = spawn_app().await;
    let token = app.token(Role::TownshipOfficer, TOWNSHIP);
    let auth = format!("Bearer {token}");
    let mut events = Events::open(&app, CHANGES, &[("authorization", &auth)]).await;
    let (name, data) = events.next().await;
    assert_eq!(name, "next");
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "PURPOSE_REQUIRED",
        "{data}"
    );
    assert_eq!(events.next().await.0, "complete");
}

#[tokio::test]
async fn a_subscription_pushes_each_change_in_scope_and_audited() {
    let (app, _cluster) = spawn_hub_with_departments(6, |_| {}).await;
    let [(resident, village), _] = residents_of_two_villages(&app).await;
    let token = app.token(Role::TownshipOfficer, TOWNSHIP);
    let auth = format!("Bearer {token}");
    let mut events = Events::open(
        &app,
        CHANGES,
        &[
            ("authorization", &auth),
            ("x-purpose", "SERVICE_HANDLING"),
            ("accept-language", "zh-CN"),
        ],
    )
    .await;
    assert_eq!(events.headers["content-language"], "zh-CN");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audited_before = audit_records(&app).await;
    let request = open_request(&app, &resident, &village).await;
    let (name, data) = events.next().await;
    assert_eq!(name, "next");
    let change = &data["data"]["serviceRequestChanged"];
    assert_eq!(change["request"]["id"], request.as_str(), "{data}");
    assert_eq!(change["event"]["kind"], "OPENED", "{data}");
    // The opening and the pushed change are both in the access log.
    assert!(audit_records(&app).await >= audited_before + 2);
}

async fn audit_records(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entities::audit_record::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_stream_ends_when_the_token_expires() {
    let app = spawn_app_with(|settings| settings.auth.leeway = Duration::ZERO).await;
    let token = mint_development_token(
        &app.settings.auth,
        &TokenRequest {
            subject: Some("short-lived".into()),
            role: Role::TownshipOfficer,
            region: RegionCode::parse(TOWNSHIP).unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(2),
        },
    )
    .unwrap();
    let auth = format!("Bearer {token}");
    let started = Instant::now();
    let mut events = Events::open(
        &app,
        CHANGES,
        &[("authorization", &auth), ("x-purpose", "SERVICE_HANDLING")],
    )
    .await;
    let (name, data) = events.next().await;
    assert_eq!(name, "next");
    assert_eq!(
        data["errors"][0]["extensions"]["code"], "INVALID_TOKEN",
        "{data}"
    );
    assert_eq!(events.next().await.0, "complete");
    assert!(started.elapsed() > Duration::from_millis(900));
}
