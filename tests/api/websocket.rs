//! GraphQL over WebSocket: token and purpose in `connection_init`, the protocol's close
//! codes, and the same door and audit as over HTTP.

use std::time::{Duration, Instant};

use cunhub::{auth::Role, sim::population::Registration};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, protocol::frame::coding::CloseCode},
};

use crate::helpers::{
    TestApp, assert_errored_fields_are_null, spawn_app, spawn_hub_with_departments,
};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn open(app: &TestApp) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, response) = connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
}

pub(crate) async fn next_json(socket: &mut Socket) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            Message::Text(text) => {
                let message: Value = serde_json::from_str(text.as_str()).unwrap();
                assert_errored_fields_are_null(&message["payload"]);
                return message;
            }
            Message::Close(frame) => return json!({ "closed": frame.map(|f| u16::from(f.code)) }),
            _ => {}
        }
    }
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

#[tokio::test]
async fn token_and_purpose_travel_in_connection_init() {
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let person = cluster
        .population
        .people
        .iter()
        .find(|p| matches!(p.registration, Registration::Normal))
        .unwrap();
    let mut socket = open(&app).await;
    let token = app.token(Role::Admin, "22");
    send(&mut socket, json!({ "type": "connection_init", "payload": { "token": token, "purpose": "VISIT", "caseRef": "SR-7" } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let query = format!(
        r#"{{ residentByIdNumber(idNumber: "{}") {{ name medicalInsurance {{ freshness {{ source }} }} }} }}"#,
        person.id_number.as_str()
    );
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    let next = next_json(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["residentByIdNumber"]["name"],
        person.name.to_string().as_str()
    );
    assert_eq!(next_json(&mut socket).await["type"], "complete");
    let report = cunhub::audit::verify(&app.db).await.unwrap();
    assert!(report.records >= 1);
    use sea_orm::{EntityTrait, QueryOrder};
    let last = entities::audit_record::Entity::find()
        .order_by_desc(entities::audit_record::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            last.action.as_str(),
            last.purpose.as_deref(),
            last.case_ref.as_deref()
        ),
        ("resident.read", Some("VISIT"), Some("SR-7"))
    );
}

#[tokio::test]
async fn a_socket_without_purpose_gets_no_personal_data() {
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let person = &cluster.population.people[0];
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": app.token(Role::Admin, "22") } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let query = format!(
        r#"{{ residentByIdNumber(idNumber: "{}") {{ name }} }}"#,
        person.id_number.as_str()
    );
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    let next = next_json(&mut socket).await;
    assert_eq!(
        next["payload"]["errors"][0]["extensions"]["code"], "PURPOSE_REQUIRED",
        "{next}"
    );
    assert!(next["payload"]["data"]["residentByIdNumber"].is_null());
    let message = next["payload"]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`purpose` field of connection_init") && !message.contains("X-Purpose"),
        "a socket's refusal names where a socket declares it: {message}"
    );
}

#[tokio::test]
async fn the_token_may_come_as_an_authorization_field_in_any_case() {
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let person = cluster
        .population
        .people
        .iter()
        .find(|p| matches!(p.registration, Registration::Normal))
        .unwrap();
    let query = format!(
        r#"{{ residentByIdNumber(idNumber: "{}") {{ name }} }}"#,
        person.id_number.as_str()
    );
    for key in ["Authorization", "authorization"] {
        let mut socket = open(&app).await;
        let bearer = format!("Bearer {}", app.token(Role::Admin, "22"));
        send(
            &mut socket,
            json!({ "type": "connection_init", "payload": { key: bearer, "purpose": "VISIT" } }),
        )
        .await;
        assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
        send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
        )
        .await;
        let next = next_json(&mut socket).await;
        assert_eq!(
            next["payload"]["data"]["residentByIdNumber"]["name"],
            person.name.to_string().as_str(),
            "{key}: {next}"
        );
    }
    // Not a bearer token: refused, not anonymous.
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": "Basic dTpw" } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["closed"], 4403);
}

#[tokio::test]
async fn a_client_close_is_answered_at_once_with_its_code() {
    let app = spawn_app().await;
    let mut socket = open(&app).await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let started = Instant::now();
    socket
        .send(Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            },
        )))
        .await
        .unwrap();
    let answer = next_json(&mut socket).await;
    assert_eq!(answer["closed"], 1000);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_refused_init_closes_with_4403() {
    let app = spawn_app().await;
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": "forged.token.here" } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4403 }));
}

#[tokio::test]
async fn a_bad_case_reference_refuses_the_init_with_4403() {
    let app = spawn_app().await;
    let token = app.token(Role::Admin, "22");
    for case_ref in ["x".repeat(129), "SR-7\u{7}".to_owned()] {
        let mut socket = open(&app).await;
        send(&mut socket, json!({ "type": "connection_init", "payload": { "token": token, "purpose": "VISIT", "caseRef": case_ref } })).await;
        assert_eq!(
            next_json(&mut socket).await,
            json!({ "closed": 4403 }),
            "{case_ref:?}"
        );
    }
    let mut socket = open(&app).await;
    send(&mut socket, json!({ "type": "connection_init", "payload": { "token": token, "purpose": "VISIT", "caseRef": "x".repeat(128) } })).await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
}

#[tokio::test]
async fn a_socket_that_never_initialises_closes_with_4408() {
    let app = spawn_app().await;
    let mut socket = open(&app).await;
    let started = Instant::now();
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4408 }));
    assert!(started.elapsed() < Duration::from_secs(12));
    let _ = CloseCode::Normal;
}

#[tokio::test]
async fn a_socket_without_the_subprotocol_is_refused() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    assert!(connect_async(url).await.is_err());
}

#[tokio::test]
async fn a_token_that_is_not_a_string_refuses_the_init_with_4403() {
    let app = spawn_app().await;
    for token in [
        json!(42),
        json!(null),
        json!({ "token": "x" }),
        json!(["x"]),
    ] {
        let mut socket = open(&app).await;
        send(
            &mut socket,
            json!({ "type": "connection_init", "payload": { "token": token } }),
        )
        .await;
        assert_eq!(
            next_json(&mut socket).await,
            json!({ "closed": 4403 }),
            "{token}: not anonymous"
        );
    }
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": "a token" }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4403 }));
    // No token at all is an anonymous socket, as before.
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
}

#[tokio::test]
async fn subscribe_before_the_acknowledgement_closes_with_4401() {
    let app = spawn_app().await;
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4401 }));
}

#[tokio::test]
async fn an_invalid_message_closes_with_4400() {
    let app = spawn_app().await;
    let token = app.token(Role::Admin, "22");
    let invalid = [
        Message::text("not json"),
        Message::text(json!({ "type": "bogus" }).to_string()),
        // The earlier protocol's message types are not this protocol's.
        Message::text(
            json!({ "id": "1", "type": "start", "payload": { "query": "{ __typename }" } })
                .to_string(),
        ),
        Message::text(json!({ "type": "subscribe", "id": "1" }).to_string()),
        Message::text(
            json!({ "type": "subscribe", "payload": { "query": "{ __typename }" } }).to_string(),
        ),
    ];
    for message in invalid {
        let mut socket = open(&app).await;
        send(
            &mut socket,
            json!({ "type": "connection_init", "payload": { "token": token } }),
        )
        .await;
        assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
        let shown = format!("{message:?}");
        socket.send(message).await.unwrap();
        assert_eq!(
            next_json(&mut socket).await,
            json!({ "closed": 4400 }),
            "{shown}"
        );
    }
    // Before the init too: an invalid message is not a refused init.
    let mut socket = open(&app).await;
    socket.send(Message::text("{")).await.unwrap();
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4400 }));
}

#[tokio::test]
async fn a_duplicate_subscription_id_closes_with_4409() {
    let app = spawn_app().await;
    let token = app.token(Role::TownshipOfficer, "220122101");
    let subscription = json!({ "id": "live", "type": "subscribe", "payload": {
        "query": "subscription { serviceRequestChanged { request { id } } }" } });
    let mut socket = open(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token, "purpose": "SERVICE_HANDLING" } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send(&mut socket, subscription.clone()).await;
    // A finished operation frees its id: a query under another id, twice.
    for _ in 0..2 {
        send(
            &mut socket,
            json!({ "id": "once", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
        )
        .await;
        assert_eq!(next_json(&mut socket).await["type"], "next");
        assert_eq!(
            next_json(&mut socket).await,
            json!({ "type": "complete", "id": "once" })
        );
    }
    // The client completes the live one, and may reuse its id.
    send(&mut socket, json!({ "id": "live", "type": "complete" })).await;
    send(&mut socket, subscription.clone()).await;
    send(&mut socket, json!({ "type": "ping" })).await;
    let mut answer = next_json(&mut socket).await;
    if answer["type"] == "complete" {
        answer = next_json(&mut socket).await;
    }
    assert_eq!(answer["type"], "pong", "{answer}");
    // While it runs, the same id again closes the socket.
    send(&mut socket, subscription).await;
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4409 }));
}
