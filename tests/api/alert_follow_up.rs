//! Alert follow-up: acknowledging an alert, dismissing it as a false positive (it stays
//! hidden across re-screenings until its facts change), turning it into a service request
//! linked back to it; who may; and retries and races acting once.

use chrono::{Duration, Utc};
use cunhub::{
    auth::Role,
    domain::Department,
    screening::{
        AlertKind, Fact, Finding,
        findings::{self, NewAlert},
    },
};
use serde_json::{Value, json};

use crate::{helpers::TOWNSHIP, village::Village};

const ALERTS: &str = r#"
query ($region: String!, $followUp: [AlertFollowUpState!], $since: DateTime) {
  alerts(region: $region, followUp: $followUp, updatedSince: $since, first: 50) {
    totalCount
    nodes { id kind followUp { state by at reason requestId } }
  }
}"#;

const ACKNOWLEDGE: &str = r#"
mutation ($input: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $input) {
    replayed alertId
    followUp { state by at reason requestId }
    alert { id kind }
  }
}"#;

const DISMISS: &str = r#"
mutation ($input: DismissAlertInput!) {
  dismissAlert(input: $input) {
    replayed alertId
    followUp { state by reason }
  }
}"#;

const OPEN_REQUEST: &str = r#"
mutation ($input: OpenServiceRequestFromAlertInput!) {
  openServiceRequestFromAlert(input: $input) {
    replayed alertId
    followUp { state requestId }
    request { id status alertId resident { id } }
  }
}"#;

fn fact(department: Department, text: &str) -> Fact {
    Fact {
        department: department.as_str().to_owned(),
        fact: text.to_owned(),
    }
}

/// Stores `alerts` as the findings of a run over the village at `at`.
async fn screen(
    village: &Village,
    alerts: &[(&str, AlertKind, Vec<Fact>)],
    at: chrono::DateTime<Utc>,
) {
    let alerts: Vec<NewAlert> = alerts
        .iter()
        .map(|(resident, kind, facts)| NewAlert {
            resident_id: (*resident).to_owned(),
            finding: Finding {
                kind: *kind,
                facts: facts.clone(),
            },
        })
        .collect();
    findings::replace_village(&village.app.db, &village.code, &alerts, at)
        .await
        .unwrap();
}

fn elderly(age: u32) -> Vec<Fact> {
    vec![
        fact(
            Department::PublicSecurity,
            &format!("aged {age}, born 1944-03-02"),
        ),
        fact(
            Department::CivilAffairs,
            "no old-age allowance (高龄津贴) in payment",
        ),
    ]
}

fn uninsured() -> Vec<Fact> {
    vec![
        fact(
            Department::CivilAffairs,
            "dibao (低保) in payment since 2021-03-01",
        ),
        fact(Department::MedicalInsurance, "no basic medical insurance"),
    ]
}

fn expired() -> Vec<Fact> {
    vec![fact(
        Department::PublicSecurity,
        "ID card valid until 2024-05-01",
    )]
}

fn alert_id(resident: &str, kind: AlertKind) -> String {
    format!("{resident}:{}", kind.code())
}

async fn listed(
    village: &Village,
    token: &str,
    follow_up: Value,
    since: Value,
) -> Vec<(String, Value)> {
    let data = village
        .ok(
            token,
            ALERTS,
            json!({ "region": village.code, "followUp": follow_up, "since": since }),
        )
        .await;
    data["alerts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap().to_owned(), n["followUp"].clone()))
        .collect()
}

fn ids(listed: &[(String, Value)]) -> Vec<&str> {
    listed.iter().map(|(id, _)| id.as_str()).collect()
}

#[tokio::test]
async fn an_alert_is_acknowledged_dismissed_or_turned_into_a_request() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let [r0, r1, r2, ..] = &village.residents[..] else {
        panic!("too few residents");
    };
    screen(
        &village,
        &[
            (r0, AlertKind::ElderlyNoAllowance, elderly(84)),
            (r1, AlertKind::AssistanceNotInsured, uninsured()),
            (r2, AlertKind::IdCardExpired, expired()),
        ],
        Utc::now() - Duration::days(2),
    )
    .await;
    let (a0, a1, a2) = (
        alert_id(r0, AlertKind::ElderlyNoAllowance),
        alert_id(r1, AlertKind::AssistanceNotInsured),
        alert_id(r2, AlertKind::IdCardExpired),
    );
    let to_follow_up = listed(&village, &assistant, json!(["OPEN"]), Value::Null).await;
    assert_eq!(to_follow_up.len(), 3);
    assert!(
        to_follow_up
            .iter()
            .all(|(_, f)| f["state"] == "OPEN" && f["by"].is_null())
    );
    let before = Utc::now() - Duration::seconds(1);

    let acknowledged = village
        .ok(
            &assistant,
            ACKNOWLEDGE,
            json!({ "input": { "idempotencyKey": "ack-key-0001", "alertId": a0, "note": "已联系民政办" } }),
        )
        .await;
    let payload = &acknowledged["acknowledgeAlert"];
    assert_eq!(payload["replayed"], false);
    assert_eq!(payload["followUp"]["state"], "ACKNOWLEDGED");
    assert_eq!(payload["followUp"]["by"], "test-user");
    assert_eq!(payload["followUp"]["reason"], "已联系民政办");
    assert_eq!(payload["alert"]["kind"], "ELDERLY_NO_ALLOWANCE");

    // A dismissal says why.
    let codes = village
        .refused(
            &assistant,
            DISMISS,
            json!({ "input": { "idempotencyKey": "dismiss-key-0000", "alertId": a1, "reason": " " } }),
        )
        .await;
    assert_eq!(codes, ["BAD_USER_INPUT"]);
    let dismissed = village
        .ok(
            &assistant,
            DISMISS,
            json!({ "input": { "idempotencyKey": "dismiss-key-0001", "alertId": a1, "reason": "已在外地参保，系统未同步" } }),
        )
        .await;
    assert_eq!(dismissed["dismissAlert"]["followUp"]["state"], "DISMISSED");

    let opened = village
        .ok(
            &assistant,
            OPEN_REQUEST,
            json!({ "input": {
                "idempotencyKey": "from-alert-0001", "alertId": a2,
                "catalogueCode": "JL-GA-001", "mode": "PROXY", "description": "身份证过期，代办换领",
                "authorisation": { "by": "本人", "method": "WRITTEN", "at": Utc::now() - Duration::hours(1) }
            }}),
        )
        .await;
    let payload = &opened["openServiceRequestFromAlert"];
    let request_id = payload["request"]["id"].as_str().unwrap().to_owned();
    assert_eq!(payload["request"]["status"], "REPORTED");
    assert_eq!(payload["request"]["alertId"], a2.as_str());
    assert_eq!(payload["request"]["resident"]["id"], r2.as_str());
    assert_eq!(payload["followUp"]["state"], "REQUEST_OPENED");
    assert_eq!(payload["followUp"]["requestId"], request_id.as_str());

    // The default listing leaves the dismissed alert out; the work list is empty.
    let all = listed(&village, &assistant, Value::Null, Value::Null).await;
    assert_eq!(ids(&all), sorted(&[&a0, &a2]));
    assert!(
        listed(&village, &assistant, json!(["OPEN"]), Value::Null)
            .await
            .is_empty()
    );
    let dismissed = listed(&village, &assistant, json!(["DISMISSED"]), Value::Null).await;
    assert_eq!(ids(&dismissed), [a1.as_str()]);
    assert_eq!(dismissed[0].1["reason"], "已在外地参保，系统未同步");
    let states = listed(
        &village,
        &assistant,
        json!(["ACKNOWLEDGED", "REQUEST_OPENED"]),
        Value::Null,
    )
    .await;
    assert_eq!(ids(&states), sorted(&[&a0, &a2]));
    // Changed since before the follow-ups: the three; since later: none.
    let since = listed(
        &village,
        &assistant,
        json!(["OPEN", "ACKNOWLEDGED", "DISMISSED", "REQUEST_OPENED"]),
        json!(before),
    )
    .await;
    assert_eq!(since.len(), 3);
    let later = listed(
        &village,
        &assistant,
        Value::Null,
        json!(Utc::now() + Duration::minutes(1)),
    )
    .await;
    assert!(later.is_empty());

    // What is done is not done again under another key.
    for (query, variables) in [
        (
            DISMISS,
            json!({ "input": { "idempotencyKey": "dismiss-key-0002", "alertId": a1, "reason": "again" } }),
        ),
        (
            ACKNOWLEDGE,
            json!({ "input": { "idempotencyKey": "ack-key-0002", "alertId": a0 } }),
        ),
        (
            ACKNOWLEDGE,
            json!({ "input": { "idempotencyKey": "ack-key-0003", "alertId": a2 } }),
        ),
    ] {
        assert_eq!(
            village.refused(&assistant, query, variables).await,
            ["BAD_USER_INPUT"]
        );
    }
    // An acknowledged alert can still be turned into a request.
    let from_acknowledged = village
        .ok(
            &assistant,
            OPEN_REQUEST,
            json!({ "input": {
                "idempotencyKey": "from-alert-0002", "alertId": a0,
                "catalogueCode": "JL-YB-002", "mode": "IN_VILLAGE", "description": "高龄津贴申请前先核对医保"
            }}),
        )
        .await;
    assert_eq!(
        from_acknowledged["openServiceRequestFromAlert"]["followUp"]["state"],
        "REQUEST_OPENED"
    );
    let service_request = village
        .ok(
            &village.township_officer(),
            "query ($id: ID!) { serviceRequest(id: $id) { alertId timeline { kind note } } }",
            json!({ "id": request_id }),
        )
        .await;
    assert_eq!(service_request["serviceRequest"]["alertId"], a2.as_str());
    assert!(
        service_request["serviceRequest"]["timeline"][0]["note"]
            .as_str()
            .unwrap()
            .contains(&a2)
    );
}

fn sorted<'a>(ids: &[&'a String]) -> Vec<&'a str> {
    let mut ids: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_dismissed_alert_stays_hidden_after_a_rescreen_until_its_facts_change() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let resident = village.residents[0].clone();
    let id = alert_id(&resident, AlertKind::ElderlyNoAllowance);
    screen(
        &village,
        &[(&resident, AlertKind::ElderlyNoAllowance, elderly(84))],
        Utc::now(),
    )
    .await;
    village
        .ok(
            &assistant,
            DISMISS,
            json!({ "input": { "idempotencyKey": "dismiss-key-0001", "alertId": id, "reason": "津贴按季度发放，本季度已申报" } }),
        )
        .await;
    let by_kind = r#"query ($region: String!) {
        residents(region: $region, filter: { alertKind: ELDERLY_NO_ALLOWANCE }) { totalCount } }"#;

    // The next run finds the same facts: still hidden, also from the residents filter.
    screen(
        &village,
        &[(&resident, AlertKind::ElderlyNoAllowance, elderly(84))],
        Utc::now(),
    )
    .await;
    assert!(
        listed(&village, &assistant, Value::Null, Value::Null)
            .await
            .is_empty()
    );
    assert!(
        listed(&village, &assistant, json!(["OPEN"]), Value::Null)
            .await
            .is_empty()
    );
    let residents = village
        .ok(&assistant, by_kind, json!({ "region": village.code }))
        .await;
    assert_eq!(residents["residents"]["totalCount"], 0);

    // A run whose facts differ: the alert is back, open.
    screen(
        &village,
        &[(&resident, AlertKind::ElderlyNoAllowance, elderly(85))],
        Utc::now(),
    )
    .await;
    let back = listed(&village, &assistant, json!(["OPEN"]), Value::Null).await;
    assert_eq!(ids(&back), [id.as_str()]);
    assert!(back[0].1["by"].is_null());
    let residents = village
        .ok(&assistant, by_kind, json!({ "region": village.code }))
        .await;
    assert_eq!(residents["residents"]["totalCount"], 1);
    // It can be dismissed again, on the new facts.
    let again = village
        .ok(
            &assistant,
            DISMISS,
            json!({ "input": { "idempotencyKey": "dismiss-key-0002", "alertId": id, "reason": "同上" } }),
        )
        .await;
    assert_eq!(again["dismissAlert"]["followUp"]["state"], "DISMISSED");
    assert!(
        listed(&village, &assistant, Value::Null, Value::Null)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn only_the_policys_roles_follow_up_alerts_they_may_see() {
    let village = Village::spawn(4).await;
    let app = &village.app;
    let [r0, r1, ..] = &village.residents[..] else {
        panic!("too few residents");
    };
    screen(
        &village,
        &[
            (r0, AlertKind::IdCardExpired, expired()),
            (r1, AlertKind::AssistanceNotInsured, uninsured()),
        ],
        Utc::now(),
    )
    .await;
    let expired_id = alert_id(r0, AlertKind::IdCardExpired);
    let uninsured_id = alert_id(r1, AlertKind::AssistanceNotInsured);
    let acknowledge =
        |key: &str, alert: &str| json!({ "input": { "idempotencyKey": key, "alertId": alert } });
    let open = |key: &str, alert: &str| {
        json!({ "input": { "idempotencyKey": key, "alertId": alert,
            "catalogueCode": "JL-YB-001", "mode": "IN_VILLAGE", "description": "参保登记" } })
    };
    let other_village = app.token(Role::VillageAssistant, &format!("{TOWNSHIP}299"));
    let cases = [
        // The police see expired ID cards but take no action on alerts.
        (
            app.token(Role::Police, TOWNSHIP),
            ACKNOWLEDGE,
            acknowledge("who-0001", &expired_id),
            "FORBIDDEN",
        ),
        (
            village.clerk(Department::MedicalInsurance),
            ACKNOWLEDGE,
            acknowledge("who-0002", &uninsured_id),
            "FORBIDDEN",
        ),
        (
            app.token(Role::Resident, &village.code),
            ACKNOWLEDGE,
            acknowledge("who-0003", &expired_id),
            "FORBIDDEN",
        ),
        (
            app.token(Role::Admin, "22"),
            ACKNOWLEDGE,
            acknowledge("who-0004", &expired_id),
            "FORBIDDEN",
        ),
        (
            app.token(Role::Dashboard, "22"),
            ACKNOWLEDGE,
            acknowledge("who-0005", &expired_id),
            "FORBIDDEN",
        ),
        // The township may acknowledge and dismiss, but opening a request is the village's.
        (
            village.township_officer(),
            OPEN_REQUEST,
            open("who-0006", &uninsured_id),
            "FORBIDDEN",
        ),
        // Out of region, or no such alert: alike.
        (
            other_village,
            ACKNOWLEDGE,
            acknowledge("who-0007", &expired_id),
            "NOT_FOUND",
        ),
        (
            village.assistant(),
            ACKNOWLEDGE,
            acknowledge("who-0008", "nobody:ID_CARD_EXPIRED"),
            "NOT_FOUND",
        ),
    ];
    for (n, (token, query, variables, code)) in cases.into_iter().enumerate() {
        assert_eq!(
            village.refused(&token, query, variables).await,
            [code],
            "case {n}"
        );
    }
    // The same key for another alert is a reused key.
    village
        .ok(
            &village.township_officer(),
            ACKNOWLEDGE,
            acknowledge("who-0009", &expired_id),
        )
        .await;
    assert_eq!(
        village
            .refused(
                &village.township_officer(),
                ACKNOWLEDGE,
                acknowledge("who-0009", &uninsured_id)
            )
            .await,
        ["IDEMPOTENCY_KEY_REUSED"]
    );
    let open_work = listed(&village, &village.assistant(), json!(["OPEN"]), Value::Null).await;
    assert_eq!(ids(&open_work), [uninsured_id.as_str()]);
}

#[tokio::test]
async fn retries_and_races_on_one_alert_act_once() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let [r0, r1, ..] = &village.residents[..] else {
        panic!("too few residents");
    };
    screen(
        &village,
        &[
            (r0, AlertKind::AssistanceNotInsured, uninsured()),
            (r1, AlertKind::ElderlyNoAllowance, elderly(90)),
        ],
        Utc::now(),
    )
    .await;
    let uninsured_id = alert_id(r0, AlertKind::AssistanceNotInsured);
    let elderly_id = alert_id(r1, AlertKind::ElderlyNoAllowance);

    // The same request opened eight times at once under one key: one request.
    let variables = json!({ "input": { "idempotencyKey": "race-open-0001", "alertId": uninsured_id,
        "catalogueCode": "JL-YB-001", "mode": "IN_VILLAGE", "description": "参保登记" } });
    let answers = futures_util::future::join_all(
        (0..8).map(|_| village.call(&assistant, OPEN_REQUEST, variables.clone())),
    )
    .await;
    let mut fresh = 0;
    let mut requests = std::collections::BTreeSet::new();
    for answer in &answers {
        assert!(answer.body["errors"].is_null(), "{}", answer.body);
        let payload = &answer.body["data"]["openServiceRequestFromAlert"];
        fresh += usize::from(payload["replayed"] == false);
        requests.insert(payload["request"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!((fresh, requests.len()), (1, 1));
    let count = village
        .ok(
            &village.township_officer(),
            "{ serviceRequests { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["serviceRequests"]["totalCount"], 1);

    // The village and the township at once, under their own keys: one dismisses, the
    // others are told it changed (or is dismissed already).
    let officer = village.township_officer();
    let racing = futures_util::future::join_all((0..6).map(|n| {
        let token = if n % 2 == 0 { &assistant } else { &officer };
        let variables = json!({ "input": { "idempotencyKey": format!("race-dismiss-{n:04}"),
            "alertId": elderly_id, "reason": "已核实" } });
        village.call(token, DISMISS, variables)
    }))
    .await;
    let succeeded = racing.iter().filter(|a| a.body["errors"].is_null()).count();
    assert_eq!(
        succeeded,
        1,
        "{:?}",
        racing.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    for answer in racing.iter().filter(|a| !a.body["errors"].is_null()) {
        let codes = answer.error_codes();
        assert!(
            codes == ["CONFLICT"] || codes == ["BAD_USER_INPUT"],
            "{codes:?}"
        );
    }
}
