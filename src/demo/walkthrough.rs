//! The demo's walkthrough of village services, done as the apps would do it, over the
//! hub's own HTTP and WebSocket endpoints: a township client subscribes, then a village
//! assistant opens a request from one of the village's alerts, the township accepts and
//! routes it, the county department responds and the village confirms it resolved; the
//! villager rates it dissatisfied through the assistant and the township answers the
//! rating. Each step and each event the subscriber receives is printed as it happens.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::{
    auth::{Role, TokenRequest, mint_development_token},
    config::Settings,
    domain::{Department, RegionCode},
};

/// Why the walkthrough stopped.
#[derive(Debug, thiserror::Error)]
pub enum WalkthroughError {
    #[error("token: {0}")]
    Token(#[from] crate::auth::AuthError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("WebSocket: {0}")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("{0}")]
    Answer(String),
}

/// Where the walkthrough plays.
pub struct Stage<'a> {
    pub settings: &'a Settings,
    pub address: std::net::SocketAddr,
    pub village: RegionCode,
    pub township: RegionCode,
    pub county: RegionCode,
}

/// The catalogue item, the county department and the handling mode (one the item
/// offers) that follow up an alert of `kind`.
fn follow_up_of(kind: &str) -> (&'static str, Department, &'static str) {
    match kind {
        "ASSISTANCE_NOT_INSURED" => ("JL-YB-001", Department::MedicalInsurance, "PROXY"),
        "ELDERLY_NO_ALLOWANCE" => ("JL-MZ-006", Department::CivilAffairs, "PROXY"),
        "SEVERE_DISABILITY_NO_NURSING" => ("JL-MZ-005", Department::CivilAffairs, "PROXY"),
        "PENSION_CERT_OVERDUE" => ("JL-RS-002", Department::SocialSecurity, "IN_VILLAGE"),
        "DECEASED_STILL_PAID" => ("JL-GA-003", Department::PublicSecurity, "PROXY"),
        "ID_CARD_EXPIRED" => ("JL-GA-001", Department::PublicSecurity, "PROXY"),
        "VETERAN_NO_CARD" => ("JL-TY-001", Department::VeteransAffairs, "PROXY"),
        "NO_FAMILY_DOCTOR" => ("JL-WJ-001", Department::Health, "IN_VILLAGE"),
        "RELAPSE_UNEMPLOYED_NO_HELP" => ("JL-NY-002", Department::Agriculture, "PROXY"),
        "DECEASED_STILL_LISTED" => ("JL-TY-003", Department::VeteransAffairs, "PROXY"),
        _ => ("JL-GA-002", Department::PublicSecurity, "PROXY"),
    }
}

fn department_enum(department: Department) -> &'static str {
    match department {
        Department::MedicalInsurance => "MEDICAL_INSURANCE",
        Department::SocialSecurity => "SOCIAL_SECURITY",
        Department::CivilAffairs => "CIVIL_AFFAIRS",
        Department::VeteransAffairs => "VETERANS_AFFAIRS",
        Department::Health => "HEALTH",
        Department::Agriculture => "AGRICULTURE",
        _ => "PUBLIC_SECURITY",
    }
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn call(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, WalkthroughError> {
        let body: Value = self
            .http
            .post(&self.url)
            .bearer_auth(token)
            .header("X-Purpose", "SERVICE_HANDLING")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        match body.get("errors") {
            Some(errors) => Err(WalkthroughError::Answer(errors.to_string())),
            None => Ok(body["data"].clone()),
        }
    }
}

fn token(
    settings: &Settings,
    role: Role,
    region: &RegionCode,
    department: Option<Department>,
) -> Result<String, WalkthroughError> {
    Ok(mint_development_token(
        &settings.auth,
        &TokenRequest {
            subject: Some(format!("demo-{role}")),
            role,
            region: region.clone(),
            department,
            id_number: None,
            ttl: Duration::from_secs(3600),
        },
    )?)
}

const ACT: &str = "mutation($input: ActOnServiceRequestInput!) { actOnServiceRequest(input: $input) { request { id status version awaiting stepDueAt department } } }";

/// Plays the story once the demo village has an alert; prints as it goes.
pub async fn run(stage: Stage<'_>) -> Result<(), WalkthroughError> {
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        url: format!("http://{}/graphql", stage.address),
    };
    let assistant = token(stage.settings, Role::VillageAssistant, &stage.village, None)?;
    let township = token(stage.settings, Role::TownshipOfficer, &stage.township, None)?;

    // 1. An alert of the village to follow up (the screening finds them in the background).
    let alert = loop {
        let data = client
            .call(
                &assistant,
                "query($v: String!) { alerts(region: $v, first: 1, followUp: [OPEN]) { nodes { id kind resident { id name } } } }",
                json!({ "v": stage.village.as_str() }),
            )
            .await?;
        if let Some(alert) = data["alerts"]["nodes"].get(0) {
            break alert.clone();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let kind = alert["kind"].as_str().unwrap_or_default().to_owned();
    let (item, department, mode) = follow_up_of(&kind);
    say(&format!(
        "walkthrough: alert {kind} for {} in {}",
        alert["resident"]["name"].as_str().unwrap_or("?"),
        stage.village
    ));

    // 2. The township's app subscribes to changes in its scope.
    let mut socket = subscribe(&stage, &township).await?;
    let watcher = tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else {
                continue;
            };
            let change = &frame["payload"]["data"]["serviceRequestChanged"];
            if change.is_object() {
                say(&format!(
                    "  live → township app: {} by {} ({}), now {}",
                    change["event"]["kind"].as_str().unwrap_or("?"),
                    change["event"]["actor"].as_str().unwrap_or("?"),
                    change["event"]["actorRole"].as_str().unwrap_or("?"),
                    change["request"]["status"].as_str().unwrap_or("?"),
                ));
            }
        }
    });

    // 3. The village assistant opens a request from the alert.
    let opened = client
        .call(
            &assistant,
            "mutation($input: OpenServiceRequestFromAlertInput!) { openServiceRequestFromAlert(input: $input) { request { id status version stepDueAt } } }",
            json!({ "input": {
                "idempotencyKey": format!("demo-walkthrough-{}", alert["id"].as_str().unwrap_or_default().replace(|c: char| !c.is_ascii_alphanumeric(), "-")),
                "alertId": alert["id"],
                "catalogueCode": item,
                "mode": mode,
                "description": format!("followed up from the alert {kind}"),
                // Handled on the villager's behalf: they signed the authorisation form.
                "authorisation": (mode == "PROXY").then(|| json!({
                    "by": alert["resident"]["name"],
                    "method": "WRITTEN",
                    "at": chrono::Utc::now().to_rfc3339(),
                })),
            }}),
        )
        .await?;
    let request = &opened["openServiceRequestFromAlert"]["request"];
    let id = request["id"].as_str().unwrap_or_default().to_owned();
    say(&format!(
        "walkthrough: village assistant opened {id} against {item}; the township is due by {}",
        request["stepDueAt"].as_str().unwrap_or("?")
    ));
    pause().await;

    // 4. The township accepts and routes it to the county department.
    let mut version = request["version"].as_i64().unwrap_or(1);
    for (action, dept) in [
        ("ACCEPT", None),
        ("ROUTE", Some(department_enum(department))),
    ] {
        let mut input = json!({
            "idempotencyKey": format!("demo-{id}-{action}"),
            "requestId": id, "expectedVersion": version, "action": action,
            "note": "coordinated by the township",
        });
        if let Some(dept) = dept {
            input["department"] = json!(dept);
        }
        let done = client
            .call(&township, ACT, json!({ "input": input }))
            .await?;
        version = done["actOnServiceRequest"]["request"]["version"]
            .as_i64()
            .unwrap_or(version);
        say(&format!("walkthrough: township {action}"));
        pause().await;
    }

    // 5. The department responds; 6. the village confirms.
    let clerk = token(
        stage.settings,
        Role::DepartmentClerk,
        &stage.county,
        Some(department),
    )?;
    for (who, token, action, note) in [
        (
            format!("{department} clerk"),
            &clerk,
            "RESPOND",
            "handled; the villager was told in person",
        ),
        (
            "village assistant".to_owned(),
            &assistant,
            "CONFIRM_RESOLVED",
            "the villager confirms",
        ),
    ] {
        let input = json!({
            "idempotencyKey": format!("demo-{id}-{action}"),
            "requestId": id, "expectedVersion": version, "action": action, "note": note,
        });
        let done = client.call(token, ACT, json!({ "input": input })).await?;
        version = done["actOnServiceRequest"]["request"]["version"]
            .as_i64()
            .unwrap_or(version);
        say(&format!("walkthrough: {who} {action}"));
        pause().await;
    }
    // 7. The villager rates it (好差评), through the assistant: it took too long, so the
    // township must answer the rating; 8. it does, and the request is resolved again.
    let rated = client
        .call(
            &assistant,
            "mutation($input: RateServiceRequestInput!) { rateServiceRequest(input: $input) { rating { level onBehalf } request { status version stepDueAt } } }",
            json!({ "input": {
                "idempotencyKey": format!("demo-{id}-RATE"),
                "requestId": id, "level": "DISSATISFIED",
                "comment": "办成了，但等得太久",
            }}),
        )
        .await?;
    let request = &rated["rateServiceRequest"]["request"];
    version = request["version"].as_i64().unwrap_or(version);
    say(&format!(
        "walkthrough: the villager rates it DISSATISFIED (given by the village assistant on their behalf); it is {} and the township answers by {}",
        request["status"].as_str().unwrap_or("?"),
        request["stepDueAt"].as_str().unwrap_or("?")
    ));
    pause().await;
    let input = json!({
        "idempotencyKey": format!("demo-{id}-ANSWER_FOLLOW_UP"),
        "requestId": id, "expectedVersion": version, "action": "ANSWER_FOLLOW_UP",
        "note": "visited the villager; the department's time limit is shortened for such cases",
    });
    client
        .call(&township, ACT, json!({ "input": input }))
        .await?;
    say("walkthrough: township ANSWER_FOLLOW_UP");
    tokio::time::sleep(Duration::from_secs(1)).await;
    watcher.abort();
    say(&format!(
        "walkthrough: {id} resolved and rated; its timeline and rating: {{ serviceRequest(id: \"{id}\") {{ rating {{ level comment onBehalf }} timeline {{ kind actor note at }} }} }}"
    ));
    Ok(())
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(stage: &Stage<'_>, token: &str) -> Result<Socket, WalkthroughError> {
    let mut request = format!("ws://{}/graphql", stage.address).into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "token": token, "purpose": "SERVICE_HANDLING" } });
    socket.send(Message::text(init.to_string())).await?;
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query":
        "subscription { serviceRequestChanged { event { kind actor actorRole } request { id status } } }" } });
    socket.send(Message::text(subscribe.to_string())).await?;
    Ok(socket)
}

fn say(line: &str) {
    eprintln!("{line}");
}

/// A moment between steps, so that a person watching can follow.
async fn pause() {
    tokio::time::sleep(Duration::from_millis(800)).await;
}
