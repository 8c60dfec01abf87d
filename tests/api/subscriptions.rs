//! Live updates: `serviceRequestChanged` pushes exactly the changes within the
//! subscriber's scope, each pushed change is audited before it is sent (and withheld when
//! it cannot be), and the socket closes when its token expires.

use std::time::{Duration, Instant};

use cunhub::{
    auth::{Role, TokenRequest, mint_development_token},
    domain::{Department, RegionCode},
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{TOWNSHIP, TestApp, TestResponse, spawn_app_with, spawn_hub_with_departments},
    websocket::{Socket, next_json, open, send},
};

const COUNTY: &str = "220122";

const CHANGES: &str = "serviceRequestChanged{FILTER} { request { id status villageCode resident { name } } event { kind status actorRole } }";

/// A socket initialised with `token` and the rest of the `connection_init` payload.
async fn connect(app: &TestApp, token: &str, init: Value) -> Socket {
    let mut socket = open(app).await;
    let mut payload = init;
    payload["token"] = json!(token);
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

/// Subscribes to `serviceRequestChanged` with the GraphQL literal `filter` (empty for
/// none).
async fn subscribe(socket: &mut Socket, filter: &str) {
    let argument = if filter.is_empty() {
        String::new()
    } else {
        format!("(filter: {filter})")
    };
    let query = format!(
        "subscription {{ {} }}",
        CHANGES.replace("{FILTER}", &argument)
    );
    send(
        socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
}

/// A socket subscribed to the changes `filter` selects, and listening.
async fn subscriber(app: &TestApp, token: &str, init: Value, filter: &str) -> Socket {
    let mut socket = connect(app, token, init).await;
    subscribe(&mut socket, filter).await;
    // The subscription starts listening when the socket next polls its operations: a
    // ping's answer and a moment later, it does.
    send(&mut socket, json!({ "type": "ping" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
}

fn purpose(purpose: &str) -> Value {
    json!({ "purpose": purpose })
}

/// One pushed change as `(request id, event kind)`; panics on anything else.
async fn next_change(socket: &mut Socket) -> (String, String) {
    let message = next_json(socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"]["errors"].is_null(), "{message}");
    let change = &message["payload"]["data"]["serviceRequestChanged"];
    assert_eq!(
        change["request"]["status"], change["event"]["status"],
        "{message}"
    );
    (
        change["request"]["id"].as_str().unwrap().to_owned(),
        change["event"]["kind"].as_str().unwrap().to_owned(),
    )
}

/// The changes pushed up to and including `last`.
async fn changes_until(socket: &mut Socket, last: (&str, &str)) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    loop {
        let change = next_change(socket).await;
        let done = change.0 == last.0 && change.1 == last.1;
        seen.push(change);
        if done || seen.len() > 20 {
            return seen;
        }
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(id, kind)| ((*id).to_owned(), (*kind).to_owned()))
        .collect()
}

/// Two residents of the test township living in different villages: `(id, village)`
/// (of 14 or over: a listing withholds a child's village).
pub(crate) async fn residents_of_two_villages(app: &TestApp) -> [(String, String); 2] {
    let response = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}", first: 100, filter: {{ minAge: 14 }}) {{ nodes {{ id village {{ code }} }} }} }}"#
        ))
        .bearer(app.token(Role::Admin, "22"))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    let nodes = response.data()["residents"]["nodes"].as_array().unwrap();
    let first = &nodes[0];
    let other = nodes
        .iter()
        .find(|n| n["village"]["code"] != first["village"]["code"])
        .expect("residents in two villages");
    [first, other].map(|n| {
        (
            n["id"].as_str().unwrap().to_owned(),
            n["village"]["code"].as_str().unwrap().to_owned(),
        )
    })
}

/// Opens a request for `resident` as their village's assistant; its id.
pub(crate) async fn open_request(app: &TestApp, resident: &str, village: &str) -> String {
    let response = app
        .graphql(
            "mutation($input: OpenServiceRequestInput!) { openServiceRequest(input: $input) { request { id } } }",
        )
        .variables(json!({ "input": {
            "idempotencyKey": format!("open-{}", uuid::Uuid::new_v4().simple()),
            "residentId": resident,
            "catalogueCode": "JL-YB-001",
            "mode": "IN_VILLAGE",
            "description": "办理城乡居民医保参保登记",
        }}))
        .bearer(app.token(Role::VillageAssistant, village))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    response.data()["openServiceRequest"]["request"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", response.body))
        .to_owned()
}

/// Takes `action` on a request at `version` with `token`.
async fn act(
    app: &TestApp,
    token: &str,
    request: &str,
    version: i32,
    action: &str,
    department: Option<&str>,
) {
    let response = try_act(app, token, request, version, action, department).await;
    assert_eq!(
        response.data()["actOnServiceRequest"]["request"]["version"],
        version + 1,
        "{}",
        response.body
    );
}

async fn try_act(
    app: &TestApp,
    token: &str,
    request: &str,
    version: i32,
    action: &str,
    department: Option<&str>,
) -> TestResponse {
    app
        .graphql(
            "mutation($input: ActOnServiceRequestInput!) { actOnServiceRequest(input: $input) { request { version } } }",
        )
        .variables(json!({ "input": {
            "idempotencyKey": format!("act-{}", uuid::Uuid::new_v4().simple()),
            "requestId": request,
            "expectedVersion": version,
            "action": action,
            "note": "办理情况说明",
            "department": department,
        }}))
        .bearer(token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await
}

#[tokio::test]
async fn subscribers_receive_exactly_the_changes_within_their_scope() {
    let (app, _cluster) = spawn_hub_with_departments(3, |_| {}).await;
    let [(resident_a, village_a), (resident_b, village_b)] = residents_of_two_villages(&app).await;
    let township = app.token(Role::TownshipOfficer, TOWNSHIP);
    let medical = app.token_with(
        Role::DepartmentClerk,
        COUNTY,
        Some(Department::MedicalInsurance),
    );
    let civil = app.token_with(
        Role::DepartmentClerk,
        COUNTY,
        Some(Department::CivilAffairs),
    );
    let handling = purpose("SERVICE_HANDLING");

    let mut village_sub = subscriber(
        &app,
        &app.token(Role::VillageAssistant, &village_a),
        handling.clone(),
        "",
    )
    .await;
    let mut township_sub = subscriber(&app, &township, handling.clone(), "").await;
    let mut narrowed_sub = subscriber(
        &app,
        &township,
        handling.clone(),
        &format!(r#"{{ region: "{village_a}" }}"#),
    )
    .await;
    let mut awaiting_sub =
        subscriber(&app, &township, handling.clone(), "{ awaitingMe: true }").await;
    let mut medical_sub = subscriber(&app, &medical, handling.clone(), "").await;
    let mut civil_sub = subscriber(&app, &civil, handling.clone(), "").await;

    // Village A's request goes to the medical insurance bureau, village B's to civil
    // affairs; each department then responds.
    let a = open_request(&app, &resident_a, &village_a).await;
    act(&app, &township, &a, 1, "ACCEPT", None).await;
    act(&app, &township, &a, 2, "ROUTE", Some("MEDICAL_INSURANCE")).await;
    let b = open_request(&app, &resident_b, &village_b).await;
    act(&app, &township, &b, 1, "ACCEPT", None).await;
    act(&app, &township, &b, 2, "ROUTE", Some("CIVIL_AFFAIRS")).await;
    act(&app, &medical, &a, 3, "RESPOND", None).await;
    act(&app, &civil, &b, 3, "RESPOND", None).await;

    // Changes arrive in the order they were committed, so a change outside a scope
    // would show up before the last change inside it.
    let (a, b) = (a.as_str(), b.as_str());
    let village_a_story = [
        (a, "OPENED"),
        (a, "ACCEPTED"),
        (a, "ROUTED"),
        (a, "RESPONDED"),
    ];
    assert_eq!(
        changes_until(&mut village_sub, (a, "RESPONDED")).await,
        pairs(&village_a_story),
        "a village assistant sees their village's requests only"
    );
    assert_eq!(
        changes_until(&mut township_sub, (b, "RESPONDED")).await,
        pairs(&[
            (a, "OPENED"),
            (a, "ACCEPTED"),
            (a, "ROUTED"),
            (b, "OPENED"),
            (b, "ACCEPTED"),
            (b, "ROUTED"),
            (a, "RESPONDED"),
            (b, "RESPONDED"),
        ]),
        "a township officer sees every village of the township"
    );
    assert_eq!(
        changes_until(&mut narrowed_sub, (a, "RESPONDED")).await,
        pairs(&village_a_story),
        "a region filter narrows the scope"
    );
    let mut awaiting = Vec::new();
    for _ in 0..4 {
        awaiting.push(next_change(&mut awaiting_sub).await);
    }
    assert_eq!(
        awaiting,
        pairs(&[
            (a, "OPENED"),
            (a, "ACCEPTED"),
            (b, "OPENED"),
            (b, "ACCEPTED"),
        ]),
        "awaitingMe keeps the changes that leave the request to the township"
    );
    assert_eq!(
        changes_until(&mut medical_sub, (a, "RESPONDED")).await,
        pairs(&[(a, "ROUTED"), (a, "RESPONDED")]),
        "a department clerk sees the requests routed to their department only"
    );
    assert_eq!(
        changes_until(&mut civil_sub, (b, "RESPONDED")).await,
        pairs(&[(b, "ROUTED"), (b, "RESPONDED")]),
    );
}

#[tokio::test]
async fn a_resident_follows_their_own_requests_without_a_purpose() {
    let (app, _cluster) = spawn_hub_with_departments(3, |_| {}).await;
    let response = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}", first: 100, filter: {{ minAge: 14 }}) {{ nodes {{ id idNumber name village {{ code }} }} }} }}"#
        ))
        .bearer(app.token(Role::Admin, "22"))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    // Of 14 or over: a listing withholds a child's ID number and village.
    let nodes = response.data()["residents"]["nodes"].as_array().unwrap();
    let me = &nodes[0];
    let village = me["village"]["code"].as_str().unwrap();
    let neighbour = nodes
        .iter()
        .skip(1)
        .find(|n| n["village"]["code"] == village)
        .expect("two residents of one village");
    let token = app.token_for(
        Role::Resident,
        village,
        None,
        Some(me["idNumber"].as_str().unwrap().to_owned()),
    );
    let mut socket = subscriber(&app, &token, json!({}), "").await;
    let theirs = open_request(&app, neighbour["id"].as_str().unwrap(), village).await;
    let mine = open_request(&app, me["id"].as_str().unwrap(), village).await;
    let message = next_json(&mut socket).await;
    let change = &message["payload"]["data"]["serviceRequestChanged"];
    assert_eq!(change["request"]["id"], mine.as_str(), "{message}");
    assert_ne!(change["request"]["id"], theirs.as_str());
    assert_eq!(
        change["request"]["resident"]["name"], me["name"],
        "{message}"
    );
}

#[tokio::test]
async fn a_subscription_without_purpose_is_refused_and_audited() {
    let app = spawn_app_with(|_| {}).await;
    let mut socket = connect(&app, &app.token(Role::TownshipOfficer, TOWNSHIP), json!({})).await;
    subscribe(&mut socket, "").await;
    let message = next_json(&mut socket).await;
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "PURPOSE_REQUIRED",
        "{message}"
    );
    assert_eq!(next_json(&mut socket).await["type"], "complete");
    let refusals = entities::audit_record::Entity::find()
        .filter(entities::audit_record::Column::Action.eq("service_requests.subscribe"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
}

#[tokio::test]
async fn every_pushed_change_is_audited_before_it_is_sent() {
    let (app, _cluster) = spawn_hub_with_departments(3, |_| {}).await;
    let [(resident, village), _] = residents_of_two_villages(&app).await;
    let mut socket = subscriber(
        &app,
        &app.token(Role::VillageAssistant, &village),
        json!({ "purpose": "VISIT", "caseRef": "SR-LIVE-7" }),
        "",
    )
    .await;
    let request = open_request(&app, &resident, &village).await;
    assert_eq!(
        next_change(&mut socket).await,
        (request.clone(), "OPENED".to_owned())
    );
    // The record is written before the change is sent: it is there on arrival.
    let pushed = entities::audit_record::Entity::find()
        .filter(entities::audit_record::Column::CaseRef.eq("SR-LIVE-7"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    let record = &pushed[0];
    assert_eq!(
        (
            record.action.as_str(),
            record.target.as_str(),
            record.purpose.as_deref(),
            record.role.as_str(),
        ),
        (
            "resident.read",
            resident.as_str(),
            Some("VISIT"),
            "village_assistant"
        )
    );
    assert!(
        record
            .field_groups
            .split(',')
            .any(|g| g == "service_request"),
        "{record:?}"
    );
    assert!(cunhub::audit::verify(&app.db).await.unwrap().records >= 2);

    // Without an audit log, the change is withheld: the subscriber is told so in the
    // protocol's `error` message, which ends the subscription.
    app.db
        .execute_unprepared("DROP TABLE audit_record")
        .await
        .unwrap();
    let accepted = try_act(
        &app,
        &app.token(Role::TownshipOfficer, TOWNSHIP),
        &request,
        1,
        "ACCEPT",
        None,
    )
    .await;
    // The change is committed; only its answer, which reads the request, is withheld.
    assert_eq!(accepted.error_codes(), ["AUDIT_UNAVAILABLE"]);
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(
        message["payload"][0]["extensions"]["code"], "AUDIT_UNAVAILABLE",
        "{message}"
    );
    // Nothing follows for that operation: the socket is still open for others.
    send(&mut socket, json!({ "type": "ping" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
}

#[tokio::test]
async fn the_socket_closes_with_4401_when_its_token_expires() {
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
    let started = Instant::now();
    // Subscribed and idle: nothing is pushed, yet the socket closes at the token's `exp`.
    let mut socket = subscriber(&app, &token, purpose("SERVICE_HANDLING"), "").await;
    assert_eq!(next_json(&mut socket).await, json!({ "closed": 4401 }));
    let elapsed = started.elapsed();
    assert!(
        elapsed > Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}
