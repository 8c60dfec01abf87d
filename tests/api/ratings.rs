//! Ratings of resolved service requests (好差评): once per request, by the resident or by
//! the village assistant on their behalf (recorded as such); a dissatisfied rating
//! reopens the request for the township with its working-day deadline; retries are
//! replays; the rating is read by the request's parties and audited.

use cunhub::{
    auth::Role,
    domain::Department,
    store::id_vault::{IdVault, Sealed},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{TOWNSHIP, TestResponse},
    village::{Village, device_id},
    websocket::{Socket, next_json, open, send},
};

const OPEN: &str = "mutation($i: OpenServiceRequestInput!) {
  openServiceRequest(input: $i) { request { id version } } }";
const ACT: &str = "mutation($i: ActOnServiceRequestInput!) {
  actOnServiceRequest(input: $i) { request { id version status stepDueAt awaiting } } }";
const RATE: &str = "mutation($i: RateServiceRequestInput!) {
  rateServiceRequest(input: $i) {
    replayed
    rating { level comment ratedBy raterRole onBehalf ratedAt }
    request { id status version awaiting stepDueAt timeline { kind status actorRole note dueAt } }
  }
}";
const READ: &str = "query($id: ID!) { serviceRequest(id: $id) {
  id status rating { level comment raterRole onBehalf } } }";

/// A resident token for the village's resident `resident`, with their own ID number.
async fn resident_token(village: &Village, resident: &str) -> String {
    let record = cunhub::store::residents::find(&village.app.db, resident)
        .await
        .unwrap()
        .unwrap();
    let vault = IdVault::from_settings(&village.app.settings.privacy).unwrap();
    let number = vault
        .open(&Sealed {
            key_version: u32::try_from(record.key_version).unwrap(),
            ciphertext: record.id_cipher.clone(),
        })
        .unwrap();
    village
        .app
        .token_for(Role::Resident, &village.code, None, Some(number))
}

/// A call as the holder of `token`, for service handling (a resident's own needs none).
async fn call(village: &Village, token: &str, query: &str, variables: Value) -> TestResponse {
    village
        .app
        .graphql(query)
        .variables(variables)
        .bearer(token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await
}

async fn ok(village: &Village, token: &str, query: &str, variables: Value) -> Value {
    let response = call(village, token, query, variables).await;
    assert!(response.error_codes().is_empty(), "{}", response.body);
    response.data().clone()
}

/// Acts on `id` at `version` and returns the request.
async fn act(
    village: &Village,
    token: &str,
    id: &str,
    version: i64,
    action: &str,
    extra: Value,
) -> Value {
    let mut input = json!({ "idempotencyKey": device_id(), "requestId": id,
        "expectedVersion": version, "action": action, "note": "办好了" });
    if let Value::Object(more) = extra {
        for (k, v) in more {
            input[k] = v;
        }
    }
    ok(village, token, ACT, json!({ "i": input })).await["actOnServiceRequest"]["request"].clone()
}

fn version(request: &Value) -> i64 {
    request["version"].as_i64().unwrap()
}

/// A request about `resident`, resolved by the township and confirmed by the village;
/// routed to civil affairs and responded to instead when `routed`.
async fn resolved(village: &Village, resident: &str, routed: bool) -> String {
    let opened = ok(
        village,
        &village.assistant(),
        OPEN,
        json!({ "i": {
        "idempotencyKey": device_id(), "residentId": resident, "catalogueCode": "JL-MZ-003",
        "mode": "IN_VILLAGE", "description": "申请临时救助" } }),
    )
    .await;
    let request = &opened["openServiceRequest"]["request"];
    let id = request["id"].as_str().unwrap().to_owned();
    let township = village.township_officer();
    let r = act(
        village,
        &township,
        &id,
        version(request),
        "ACCEPT",
        json!({}),
    )
    .await;
    let r = if routed {
        let r = act(
            village,
            &township,
            &id,
            version(&r),
            "ROUTE",
            json!({ "department": "CIVIL_AFFAIRS" }),
        )
        .await;
        act(
            village,
            &village.clerk(Department::CivilAffairs),
            &id,
            version(&r),
            "RESPOND",
            json!({}),
        )
        .await
    } else {
        act(
            village,
            &township,
            &id,
            version(&r),
            "RESOLVE_BY_TOWNSHIP",
            json!({}),
        )
        .await
    };
    let r = act(
        village,
        &village.assistant(),
        &id,
        version(&r),
        "CONFIRM_RESOLVED",
        json!({}),
    )
    .await;
    assert_eq!(r["status"], "RESOLVED");
    id
}

/// A township app's live feed of the changes in its township.
async fn township_feed(village: &Village, token: &str) -> Socket {
    let mut socket = open(&village.app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init",
        "payload": { "token": token, "purpose": "SERVICE_HANDLING" } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let query = "subscription { serviceRequestChanged { request { id status } event { kind } } }";
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    // The subscription listens once the socket next polls its operations.
    send(&mut socket, json!({ "type": "ping" })).await;
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    socket
}

fn rating(id: &str, level: &str, comment: Option<&str>, key: &str) -> Value {
    json!({ "i": { "idempotencyKey": key, "requestId": id, "level": level, "comment": comment } })
}

async fn ratings_of(village: &Village, id: &str) -> u64 {
    entities::request_rating::Entity::find()
        .filter(entities::request_rating::Column::RequestId.eq(id))
        .count(&village.app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_resident_rates_their_resolved_request_once_and_a_retry_is_a_replay() {
    let village = Village::spawn(3).await;
    let resident = village.residents[0].clone();
    let own = resident_token(&village, &resident).await;

    // Not before it is resolved.
    let opened = ok(
        &village,
        &village.assistant(),
        OPEN,
        json!({ "i": {
        "idempotencyKey": device_id(), "residentId": resident, "catalogueCode": "JL-MZ-003",
        "mode": "IN_VILLAGE", "description": "申请临时救助" } }),
    )
    .await;
    let open_id = opened["openServiceRequest"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let early = call(
        &village,
        &own,
        RATE,
        rating(&open_id, "SATISFIED", None, &device_id()),
    )
    .await;
    assert_eq!(
        early.error_codes(),
        ["INVALID_TRANSITION"],
        "{}",
        early.body
    );

    let id = resolved(&village, &resident, false).await;
    let key = device_id();
    let first = ok(
        &village,
        &own,
        RATE,
        rating(&id, "VERY_SATISFIED", Some(" 办得很快 "), &key),
    )
    .await;
    let payload = &first["rateServiceRequest"];
    assert_eq!(payload["replayed"], false);
    assert_eq!(payload["rating"]["level"], "VERY_SATISFIED");
    assert_eq!(payload["rating"]["comment"], "办得很快");
    assert_eq!(payload["rating"]["raterRole"], "resident");
    assert_eq!(payload["rating"]["onBehalf"], false);
    assert_eq!(payload["request"]["status"], "RESOLVED");
    assert_eq!(payload["request"]["awaiting"], Value::Null);
    let timeline = payload["request"]["timeline"].as_array().unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(
        (last["kind"].as_str(), last["actorRole"].as_str()),
        (Some("RATED"), Some("resident"))
    );
    assert_eq!(last["dueAt"], Value::Null);

    // The same attempt again: the first answer, nothing done twice.
    let again = ok(
        &village,
        &own,
        RATE,
        rating(&id, "VERY_SATISFIED", Some(" 办得很快 "), &key),
    )
    .await;
    assert_eq!(again["rateServiceRequest"]["replayed"], true);
    assert_eq!(again["rateServiceRequest"]["rating"], payload["rating"]);
    assert_eq!(
        again["rateServiceRequest"]["request"]["version"],
        payload["request"]["version"]
    );
    // The key with another rating is a reused key, not a second rating.
    let reused = call(
        &village,
        &own,
        RATE,
        rating(&id, "DISSATISFIED", None, &key),
    )
    .await;
    assert_eq!(reused.error_codes(), ["IDEMPOTENCY_KEY_REUSED"]);

    // Once: neither the resident nor the assistant rates it again.
    for token in [own.clone(), village.assistant()] {
        let second = call(
            &village,
            &token,
            RATE,
            rating(&id, "DISSATISFIED", None, &device_id()),
        )
        .await;
        assert_eq!(
            second.error_codes(),
            ["INVALID_TRANSITION"],
            "{}",
            second.body
        );
    }
    assert_eq!(ratings_of(&village, &id).await, 1);

    // Another resident's token does not see the request at all.
    let neighbour = resident_token(&village, &village.residents[1]).await;
    let theirs = call(
        &village,
        &neighbour,
        RATE,
        rating(&open_id, "SATISFIED", None, &device_id()),
    )
    .await;
    assert_eq!(theirs.error_codes(), ["NOT_FOUND"], "{}", theirs.body);
}

#[tokio::test]
async fn a_dissatisfied_rating_by_the_assistant_reopens_the_request_for_the_township() {
    let village = Village::spawn(3).await;
    let resident = village.residents[0].clone();
    let id = resolved(&village, &resident, false).await;
    let township = village.township_officer();
    let mut live = township_feed(&village, &township).await;

    // The deadline the township gets for a step of its own, taken today.
    let other = ok(
        &village,
        &village.assistant(),
        OPEN,
        json!({ "i": {
        "idempotencyKey": device_id(), "residentId": resident, "catalogueCode": "JL-MZ-003",
        "mode": "IN_VILLAGE", "description": "另一件事" } }),
    )
    .await;
    let other = &other["openServiceRequest"]["request"];
    let accepted = act(
        &village,
        &township,
        other["id"].as_str().unwrap(),
        version(other),
        "ACCEPT",
        json!({}),
    )
    .await;
    let township_deadline = accepted["stepDueAt"].clone();
    assert!(township_deadline.is_string());

    let rated = ok(
        &village,
        &village.assistant(),
        RATE,
        rating(&id, "DISSATISFIED", Some("材料退了两次"), &device_id()),
    )
    .await;
    let payload = &rated["rateServiceRequest"];
    assert_eq!(payload["rating"]["onBehalf"], true);
    assert_eq!(payload["rating"]["raterRole"], "village_assistant");
    assert_eq!(payload["request"]["status"], "FOLLOW_UP");
    assert_eq!(payload["request"]["awaiting"], "TOWNSHIP");
    assert_eq!(payload["request"]["stepDueAt"], township_deadline);
    let last = payload["request"]["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "RATED");
    assert_eq!(last["status"], "FOLLOW_UP");
    assert_eq!(last["dueAt"], township_deadline);
    assert!(last["note"].as_str().unwrap().contains("behalf"), "{last}");

    // The township answers it, with a note; the village cannot; then it is resolved and
    // stays rated once.
    let v = version(&payload["request"]);
    let answer = |note: &str| {
        json!({ "i": { "idempotencyKey": device_id(), "requestId": id, "expectedVersion": v,
            "action": "ANSWER_FOLLOW_UP", "note": note } })
    };
    let refused = call(&village, &village.assistant(), ACT, answer("已回访")).await;
    assert_eq!(refused.error_codes(), ["FORBIDDEN"], "{}", refused.body);
    let refused = call(&village, &township, ACT, answer(" ")).await;
    assert_eq!(
        refused.error_codes(),
        ["BAD_USER_INPUT"],
        "{}",
        refused.body
    );
    let answered = act(
        &village,
        &township,
        &id,
        v,
        "ANSWER_FOLLOW_UP",
        json!({ "note": "已回访，补办完成" }),
    )
    .await;
    assert_eq!(answered["status"], "RESOLVED");
    assert_eq!(answered["stepDueAt"], Value::Null);
    // The township's app heard of both as they happened (among the other request's).
    let mut heard = Vec::new();
    while heard.len() < 2 {
        let message = next_json(&mut live).await;
        let change = &message["payload"]["data"]["serviceRequestChanged"];
        if change["request"]["id"] == id.as_str() {
            heard.push((
                change["event"]["kind"].clone(),
                change["request"]["status"].clone(),
            ));
        }
    }
    assert_eq!(
        heard,
        [
            (json!("RATED"), json!("FOLLOW_UP")),
            (json!("FOLLOW_UP_ANSWERED"), json!("RESOLVED"))
        ]
    );
    let again = call(
        &village,
        &village.assistant(),
        RATE,
        rating(&id, "SATISFIED", None, &device_id()),
    )
    .await;
    assert_eq!(again.error_codes(), ["INVALID_TRANSITION"]);

    // A very dissatisfied rating does the same; a fairly satisfied one does not.
    for (level, status) in [
        ("VERY_DISSATISFIED", "FOLLOW_UP"),
        ("FAIRLY_SATISFIED", "RESOLVED"),
    ] {
        let id = resolved(&village, &resident, false).await;
        let rated = ok(
            &village,
            &village.assistant(),
            RATE,
            rating(&id, level, None, &device_id()),
        )
        .await;
        assert_eq!(
            rated["rateServiceRequest"]["request"]["status"], status,
            "{level}"
        );
    }
}

#[tokio::test]
async fn a_rating_is_read_by_the_requests_parties_and_each_read_is_audited() {
    let village = Village::spawn(3).await;
    let resident = village.residents[0].clone();
    let id = resolved(&village, &resident, true).await;
    let own = resident_token(&village, &resident).await;
    ok(
        &village,
        &own,
        RATE,
        rating(&id, "SATISFIED", Some("谢谢"), &device_id()),
    )
    .await;

    // Who may rate at all: the resident and the assistant, nobody else.
    for token in [
        village.township_officer(),
        village.clerk(Department::CivilAffairs),
        village.app.token(Role::Dashboard, "22"),
    ] {
        let refused = call(
            &village,
            &token,
            RATE,
            rating(&id, "SATISFIED", None, &device_id()),
        )
        .await;
        assert_eq!(refused.error_codes(), ["FORBIDDEN"], "{}", refused.body);
    }

    // The parties and the levels above them read it; others see no request.
    let readers = [
        ("resident", own.clone()),
        ("village", village.assistant()),
        ("township", village.township_officer()),
        ("routed department", village.clerk(Department::CivilAffairs)),
        ("admin", village.app.token(Role::Admin, "22")),
    ];
    for (who, token) in &readers {
        let data = ok(&village, token, READ, json!({ "id": id })).await;
        let read = &data["serviceRequest"]["rating"];
        assert_eq!(read["level"], "SATISFIED", "{who}");
        assert_eq!(read["comment"], "谢谢", "{who}");
        assert_eq!(read["onBehalf"], false, "{who}");
    }
    let other_village = village
        .app
        .token(Role::VillageAssistant, &format!("{TOWNSHIP}299"));
    for (who, token) in [
        ("another department", village.clerk(Department::Health)),
        ("another village", other_village),
    ] {
        let data = ok(&village, &token, READ, json!({ "id": id })).await;
        assert_eq!(data["serviceRequest"], Value::Null, "{who}");
    }
    // The province sees ratings only as counts.
    let dashboard = call(
        &village,
        &village.app.token(Role::Dashboard, "22"),
        READ,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(dashboard.error_codes(), ["FORBIDDEN"]);

    // Every read of the rating is in the audit log, under its own field group.
    let records = entities::audit_record::Entity::find()
        .filter(entities::audit_record::Column::Target.eq(resident.as_str()))
        .all(&village.app.db)
        .await
        .unwrap();
    let rating_reads = records
        .iter()
        .filter(|r| r.field_groups.contains("service_request_rating"))
        .count();
    assert!(
        rating_reads > readers.len(),
        "{rating_reads} reads of the rating recorded"
    );
    let rated = entities::audit_record::Entity::find()
        .filter(entities::audit_record::Column::Action.eq("service_request.rate"))
        .filter(entities::audit_record::Column::Target.eq(id.as_str()))
        .count(&village.app.db)
        .await
        .unwrap();
    assert_eq!(rated, 1);
}

const STATISTICS: &str = "query($r: String!, $u: Boolean) {
  statistics(region: $r, indicators: [\"satisfaction.\"], unsuppressed: $u) {
    takenAt region { code figures { indicator value state } }
    children { code figures { indicator value state } } } }";

/// `(value, state)` of every satisfaction figure of a statistics row.
fn figures(row: &Value) -> std::collections::BTreeMap<String, (Option<i64>, String)> {
    row["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["indicator"].as_str().unwrap().to_owned(),
                (f["value"].as_i64(), f["state"].as_str().unwrap().to_owned()),
            )
        })
        .collect()
}

#[tokio::test]
async fn satisfaction_indicators_count_the_ratings_per_level_department_and_item() {
    let village = Village::spawn(3).await;
    let resident = village.residents[0].clone();
    // (level, routed to civil affairs): the ratings given, and so what must be counted.
    let given = [
        ("VERY_SATISFIED", true),
        ("VERY_SATISFIED", false),
        ("SATISFIED", true),
        ("FAIRLY_SATISFIED", false),
        ("DISSATISFIED", true),
        ("VERY_DISSATISFIED", false),
        ("SATISFIED", false),
    ];
    for (level, routed) in given {
        let id = resolved(&village, &resident, routed).await;
        ok(
            &village,
            &village.assistant(),
            RATE,
            rating(&id, level, None, &device_id()),
        )
        .await;
    }
    let mut expected = std::collections::BTreeMap::<String, i64>::new();
    let poor = |level: &str| level.contains("DISSATISFIED");
    for (level, routed) in given {
        for key in [
            "satisfaction.rated".to_owned(),
            format!("satisfaction.{level}"),
            "satisfaction.rated.item.JL-MZ-003".to_owned(),
            format!(
                "satisfaction.{}.item.JL-MZ-003",
                if poor(level) {
                    "dissatisfied"
                } else {
                    "satisfied"
                }
            ),
        ] {
            *expected.entry(key).or_default() += 1;
        }
        if routed {
            *expected
                .entry("satisfaction.rated.civil_affairs".into())
                .or_default() += 1;
            let verdict = if poor(level) {
                "dissatisfied"
            } else {
                "satisfied"
            };
            *expected
                .entry(format!("satisfaction.{verdict}.civil_affairs"))
                .or_default() += 1;
        }
    }

    let since = chrono::Utc::now();
    cunhub::statistics::Published::default()
        .take(&village.app.db, 5, chrono::Utc::now())
        .await
        .unwrap();
    let code = village.code.clone();
    let app = crate::helpers::restart_with(village.app, |_| {}).await;
    let read = |token: String, unsuppressed: bool| {
        let app = &app;
        async move {
            for _ in 0..100 {
                let response = app
                    .graphql(STATISTICS)
                    .variables(json!({ "r": TOWNSHIP, "u": unsuppressed }))
                    .bearer(&token)
                    .send()
                    .await;
                let stats = response.data()["statistics"].clone();
                let taken = stats["takenAt"]
                    .as_str()
                    .map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap());
                if taken.is_some_and(|t| t > since) {
                    return stats;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("no snapshot taken after {since}");
        }
    };

    // The counts behind the cells (the admin, unsuppressed) are the ratings given.
    let raw = read(app.token(Role::Admin, "22"), true).await;
    let row = raw["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .unwrap()
        .clone();
    let counted = figures(&row);
    for (key, (value, _)) in &counted {
        assert_eq!(
            *value,
            Some(expected.get(key).copied().unwrap_or(0)),
            "{key}"
        );
    }
    for key in expected.keys() {
        assert!(counted.contains_key(key), "{key} is published");
    }
    // The township adds up its villages: this one alone was rated.
    for (key, (value, _)) in figures(&raw["region"]) {
        assert_eq!(
            value,
            Some(expected.get(&key).copied().unwrap_or(0)),
            "{key} of the township"
        );
    }

    // The province's dashboard sees them under the same suppression: no count of 1 to 4.
    let seen = read(app.token(Role::Dashboard, "22"), false).await;
    let row = seen["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .unwrap()
        .clone();
    let shown = figures(&row);
    assert_eq!(
        shown["satisfaction.VERY_SATISFIED"],
        (None, "SMALL".to_owned())
    );
    assert!(shown["satisfaction.rated"].0.is_none_or(|v| v == 7));
    for (key, (value, state)) in shown {
        if let Some(value) = value {
            assert!(value == 0 || value >= 5, "{key} shows {value} ({state})");
        }
    }
}
