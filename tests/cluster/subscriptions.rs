//! Live changes across instances: a change committed through one instance reaches the
//! subscribers of every instance, once each, in commit order.

use std::time::Duration;

use cunhub::auth::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

use crate::harness::{
    Instance, SharedDatabase, TOWNSHIP, start_instance, sync, township, use_departments,
};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next JSON message, or `None` when nothing comes within `wait`.
async fn next_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = message {
            return Some(serde_json::from_str(text.as_str()).unwrap());
        }
    }
}

/// A township officer's socket on `instance`, subscribed to every change in scope.
async fn subscriber(instance: &Instance) -> Socket {
    let url = format!("{}/graphql", instance.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = connect_async(request).await.unwrap();
    let token = instance.token(Role::TownshipOfficer, TOWNSHIP);
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token, "purpose": "SERVICE_HANDLING" } }),
    )
    .await;
    let ack = next_within(&mut socket, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(ack["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query":
            "subscription { serviceRequestChanged { request { id } event { kind } } }" } }),
    )
    .await;
    send(&mut socket, json!({ "type": "ping" })).await;
    let pong = next_within(&mut socket, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(pong["type"], "pong");
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
}

/// Every change pushed until the socket has been quiet for a second: `(request, kind)`.
async fn pushed(socket: &mut Socket) -> Vec<(String, String)> {
    let mut changes = Vec::new();
    while let Some(message) = next_within(socket, Duration::from_secs(1)).await {
        assert_eq!(message["type"], "next", "{message}");
        let change = &message["payload"]["data"]["serviceRequestChanged"];
        changes.push((
            change["request"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{message}"))
                .to_owned(),
            change["event"]["kind"].as_str().unwrap().to_owned(),
        ));
    }
    changes
}

async fn act(
    instance: &Instance,
    token: &str,
    request: &str,
    version: i32,
    action: &str,
    department: Option<&str>,
) {
    let answer = instance
        .graphql(
            token,
            "mutation($input: ActOnServiceRequestInput!) { actOnServiceRequest(input: $input) { request { version } } }",
            json!({ "input": {
                "idempotencyKey": format!("act-{}", uuid::Uuid::new_v4().simple()),
                "requestId": request,
                "expectedVersion": version,
                "action": action,
                "note": "办理情况说明",
                "department": department,
            }}),
        )
        .await;
    assert_eq!(
        answer["data"]["actOnServiceRequest"]["request"]["version"],
        version + 1,
        "{answer}"
    );
}

#[tokio::test]
async fn a_change_through_one_instance_reaches_subscribers_on_both_once_in_order() {
    let database = SharedDatabase::create().await;
    let departments = township(3).await;
    let a = start_instance(&database, |s| use_departments(s, &departments)).await;
    let b = start_instance(&database, |s| use_departments(s, &departments)).await;
    sync(&a).await;
    let mut on_b = subscriber(&b).await;
    let mut on_a = subscriber(&a).await;

    let listing = a
        .graphql(
            &a.token(Role::Admin, "22"),
            r#"query($region: String!) { residents(region: $region, first: 1, filter: { minAge: 14 }) { nodes { id village { code } } } }"#,
            json!({ "region": TOWNSHIP }),
        )
        .await;
    let resident = &listing["data"]["residents"]["nodes"][0];
    let village = resident["village"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{listing}"));
    let opened = a
        .graphql(
            &a.token(Role::VillageAssistant, village),
            "mutation($input: OpenServiceRequestInput!) { openServiceRequest(input: $input) { request { id } } }",
            json!({ "input": {
                "idempotencyKey": "open-across-instances",
                "residentId": resident["id"],
                "catalogueCode": "JL-YB-001",
                "mode": "IN_VILLAGE",
                "description": "办理城乡居民医保参保登记",
            }}),
        )
        .await;
    let request = opened["data"]["openServiceRequest"]["request"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{opened}"))
        .to_owned();
    let township = a.token(Role::TownshipOfficer, TOWNSHIP);
    // Acted on through both instances, one after the other.
    act(&a, &township, &request, 1, "ACCEPT", None).await;
    act(&b, &township, &request, 2, "RETURN", None).await;
    let village_token = a.token(Role::VillageAssistant, village);
    act(&a, &village_token, &request, 3, "RESUBMIT", None).await;
    act(&b, &township, &request, 4, "REJECT", None).await;

    let story: Vec<(String, String)> =
        ["OPENED", "ACCEPTED", "RETURNED", "RESUBMITTED", "REJECTED"]
            .into_iter()
            .map(|kind| (request.clone(), kind.to_owned()))
            .collect();
    assert_eq!(pushed(&mut on_b).await, story, "instance B's subscriber");
    assert_eq!(pushed(&mut on_a).await, story, "instance A's subscriber");
}
