//! Visits (走访): recorded by the village assistant, also offline and sent later under the
//! device's id, opening a service request with them or not at all, listed within scope,
//! and the residents not visited within N days.

use cunhub::{auth::Role, domain::Department};
use serde_json::{Value, json};

use crate::{
    helpers::TOWNSHIP,
    village::{Village, days_ago, device_id},
};

const RECORD: &str = r#"
mutation ($input: RecordVisitInput!) {
  recordVisit(input: $input) {
    replayed
    visit { id keyGroup visitedOn findings requestId villageCode recordedBy }
    request { id status visitId resident { id } }
  }
}"#;

const VISITS: &str = r#"
query ($filter: VisitFilter) {
  visits(filter: $filter, first: 50) {
    totalCount
    nodes { id keyGroup visitedOn findings resident { id } request { id } }
  }
}"#;

const NOT_VISITED: &str = r#"
query ($region: String!, $filter: ResidentFilter) {
  residents(region: $region, filter: $filter, first: 100) {
    totalCount
    nodes { id }
  }
}"#;

fn visit(key: &str, id: &str, resident: &str, visited_on: &str, findings: &str) -> Value {
    json!({ "input": {
        "idempotencyKey": key,
        "id": id,
        "residentId": resident,
        "keyGroup": "ELDERLY_LIVING_ALONE",
        "visitedOn": visited_on,
        "findings": findings,
    }})
}

fn ids(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_visit_sent_again_under_its_id_is_recorded_once_and_other_content_is_refused() {
    let village = Village::spawn(6).await;
    let assistant = village.assistant();
    let resident = &village.residents[0];
    let id = device_id();
    // Captured offline three days ago, sent now.
    let first = village
        .ok(
            &assistant,
            RECORD,
            visit(
                "visit-key-0001",
                &id,
                resident,
                &days_ago(3),
                "独居，身体尚可，炉火安全",
            ),
        )
        .await;
    let recorded = &first["recordVisit"];
    assert_eq!(recorded["replayed"], false);
    assert_eq!(recorded["visit"]["id"], id.as_str());
    assert_eq!(recorded["visit"]["visitedOn"], days_ago(3));
    assert_eq!(recorded["visit"]["keyGroup"], "ELDERLY_LIVING_ALONE");
    assert_eq!(recorded["visit"]["villageCode"], village.code.as_str());
    assert!(recorded["request"].is_null());

    // The answer was lost: the same key again, and the device's outbox again under a
    // new key, both answer with the visit already recorded.
    for key in ["visit-key-0001", "visit-key-0002"] {
        let again = village
            .ok(
                &assistant,
                RECORD,
                visit(key, &id, resident, &days_ago(3), "独居，身体尚可，炉火安全"),
            )
            .await;
        assert_eq!(again["recordVisit"]["replayed"], true, "{key}");
        assert_eq!(again["recordVisit"]["visit"]["id"], id.as_str());
    }

    // Other content under the same id is refused, whatever the key.
    let codes = village
        .refused(
            &assistant,
            RECORD,
            visit("visit-key-0003", &id, resident, &days_ago(3), "另一份记录"),
        )
        .await;
    assert_eq!(codes, ["IDEMPOTENCY_KEY_REUSED"]);
    let codes = village
        .refused(
            &assistant,
            RECORD,
            visit(
                "visit-key-0001",
                &id,
                resident,
                &days_ago(2),
                "独居，身体尚可，炉火安全",
            ),
        )
        .await;
    assert_eq!(codes, ["IDEMPOTENCY_KEY_REUSED"]);

    let listed = village
        .ok(
            &assistant,
            VISITS,
            json!({ "filter": { "residentId": resident } }),
        )
        .await;
    assert_eq!(listed["visits"]["totalCount"], 1);
    assert_eq!(
        listed["visits"]["nodes"][0]["findings"],
        "独居，身体尚可，炉火安全"
    );
}

#[tokio::test]
async fn a_visit_is_checked_before_it_is_recorded() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let resident = &village.residents[0];
    let tomorrow = {
        let today = chrono::NaiveDate::parse_from_str(&days_ago(0), "%Y-%m-%d").unwrap();
        (today + chrono::Days::new(1)).to_string()
    };
    let cases = [
        (
            visit("check-key-0001", &device_id(), resident, &tomorrow, "x"),
            "BAD_USER_INPUT",
        ),
        (
            visit("check-key-0002", &device_id(), resident, &days_ago(0), "  "),
            "BAD_USER_INPUT",
        ),
        (
            visit("check-key-0003", "short", resident, &days_ago(0), "x"),
            "BAD_USER_INPUT",
        ),
        (
            visit("bad key", &device_id(), resident, &days_ago(0), "x"),
            "BAD_USER_INPUT",
        ),
        (
            visit(
                "check-key-0004",
                &device_id(),
                &village.elsewhere,
                &days_ago(0),
                "x",
            ),
            "NOT_FOUND",
        ),
        (
            visit(
                "check-key-0005",
                &device_id(),
                "no-such-resident",
                &days_ago(0),
                "x",
            ),
            "NOT_FOUND",
        ),
    ];
    for (variables, code) in cases {
        let codes = village.refused(&assistant, RECORD, variables.clone()).await;
        assert_eq!(codes, [code], "{variables}");
    }
    let listed = village.ok(&assistant, VISITS, json!({})).await;
    assert_eq!(listed["visits"]["totalCount"], 0);
}

#[tokio::test]
async fn only_the_roles_the_policy_lets_record_visits_do() {
    let village = Village::spawn(4).await;
    let resident = &village.residents[0];
    let app = &village.app;
    let forbidden = [
        village.township_officer(),
        village.clerk(Department::CivilAffairs),
        app.token(Role::Police, TOWNSHIP),
        app.token(Role::Admin, "22"),
        app.token(Role::Resident, &village.code),
        app.token(Role::Dashboard, "22"),
        app.token(Role::Auditor, "22"),
        app.token_with(Role::Integrator, "22", Some(Department::CivilAffairs)),
    ];
    for (n, token) in forbidden.iter().enumerate() {
        let codes = village
            .refused(
                token,
                RECORD,
                visit(
                    &format!("forbidden-{n:04}"),
                    &device_id(),
                    resident,
                    &days_ago(0),
                    "x",
                ),
            )
            .await;
        assert_eq!(codes, ["FORBIDDEN"], "token {n}");
    }
    // No purpose, no personal data.
    let response = app
        .graphql(RECORD)
        .variables(visit(
            "no-purpose-01",
            &device_id(),
            resident,
            &days_ago(0),
            "x",
        ))
        .bearer(village.assistant())
        .send()
        .await;
    assert_eq!(response.error_codes(), ["PURPOSE_REQUIRED"]);
    let listed = village.ok(&village.assistant(), VISITS, json!({})).await;
    assert_eq!(listed["visits"]["totalCount"], 0);
}

#[tokio::test]
async fn visits_are_listed_within_scope_and_every_read_is_audited() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let resident = &village.residents[0];
    let id = device_id();
    village
        .ok(
            &assistant,
            RECORD,
            visit(
                "scope-key-0001",
                &id,
                resident,
                &days_ago(1),
                "低保户，需医保参保",
            ),
        )
        .await;
    let township = village
        .ok(&village.township_officer(), VISITS, json!({}))
        .await;
    assert_eq!(ids(&township["visits"]["nodes"]), [id.as_str()]);
    assert_eq!(
        township["visits"]["nodes"][0]["resident"]["id"],
        resident.as_str()
    );
    // The police have no work lists: refused, as their schema says.
    let police = village
        .call(
            &village.app.token(Role::Police, TOWNSHIP),
            VISITS,
            json!({}),
        )
        .await;
    assert_eq!(police.error_codes(), ["FORBIDDEN"]);
    // Another village's assistant, a clerk with no request routed to them.
    let other_village = village
        .app
        .token(Role::VillageAssistant, &format!("{TOWNSHIP}299"));
    for token in [other_village, village.clerk(Department::CivilAffairs)] {
        let listed = village.ok(&token, VISITS, json!({})).await;
        assert_eq!(listed["visits"]["totalCount"], 0);
        let one = village
            .ok(
                &token,
                "query ($id: ID!) { visit(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(one["visit"].is_null());
    }
    // Filters.
    for (filter, expected) in [
        (json!({ "keyGroup": "ELDERLY_LIVING_ALONE" }), 1),
        (json!({ "keyGroup": "SEVERELY_DISABLED" }), 0),
        (json!({ "visitedSince": days_ago(1) }), 1),
        (json!({ "visitedSince": days_ago(0) }), 0),
        (json!({ "region": village.code }), 1),
        (json!({ "residentId": village.residents[1] }), 0),
    ] {
        let listed = village
            .ok(&assistant, VISITS, json!({ "filter": filter }))
            .await;
        assert_eq!(listed["visits"]["totalCount"], expected, "{filter}");
    }
    let audited = entities_audit(&village).await;
    assert!(
        audited
            .iter()
            .any(|(action, target, groups)| action == "resident.read"
                && target == resident
                && groups.contains("visit")),
        "{audited:?}"
    );
    assert!(
        audited
            .iter()
            .any(|(action, target, _)| action == "visit.record" && *target == id)
    );
}

async fn entities_audit(village: &Village) -> Vec<(String, String, String)> {
    use sea_orm::EntityTrait;
    entities::audit_record::Entity::find()
        .all(&village.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.target, r.field_groups))
        .collect()
}

#[tokio::test]
async fn residents_not_visited_within_n_days_leave_out_those_visited() {
    let village = Village::spawn(6).await;
    let assistant = village.assistant();
    let [recent, long_ago, other_group, ..] = &village.residents[..] else {
        panic!("too few residents");
    };
    village
        .ok(
            &assistant,
            RECORD,
            visit("due-key-0001", &device_id(), recent, &days_ago(2), "ok"),
        )
        .await;
    village
        .ok(
            &assistant,
            RECORD,
            visit("due-key-0002", &device_id(), long_ago, &days_ago(45), "ok"),
        )
        .await;
    let mut disabled = visit(
        "due-key-0003",
        &device_id(),
        other_group,
        &days_ago(1),
        "ok",
    );
    disabled["input"]["keyGroup"] = json!("SEVERELY_DISABLED");
    village.ok(&assistant, RECORD, disabled).await;

    let due = |filter: Value| {
        let village = &village;
        let assistant = assistant.clone();
        async move {
            let data = village
                .ok(
                    &assistant,
                    NOT_VISITED,
                    json!({ "region": village.code, "filter": filter }),
                )
                .await;
            ids(&data["residents"]["nodes"])
        }
    };
    let within_30 = due(json!({ "notVisitedWithinDays": 30 })).await;
    assert_eq!(within_30.len(), village.residents.len() - 2);
    assert!(within_30.contains(long_ago));
    assert!(!within_30.contains(recent) && !within_30.contains(other_group));

    let within_60 = due(json!({ "notVisitedWithinDays": 60 })).await;
    assert_eq!(within_60.len(), village.residents.len() - 3);

    // Only visits for the key group count: a visit as severely disabled is no visit of
    // an elderly person living alone.
    let elderly =
        due(json!({ "notVisitedWithinDays": 30, "visitKeyGroup": "ELDERLY_LIVING_ALONE" })).await;
    assert!(elderly.contains(other_group) && elderly.contains(long_ago));
    assert!(!elderly.contains(recent));

    for filter in [
        json!({ "notVisitedWithinDays": 0 }),
        json!({ "visitKeyGroup": "SEVERELY_DISABLED" }),
    ] {
        let codes = village
            .refused(
                &assistant,
                NOT_VISITED,
                json!({ "region": village.code, "filter": filter }),
            )
            .await;
        assert_eq!(codes, ["BAD_USER_INPUT"]);
    }
}

fn with_request(key: &str, id: &str, resident: &str, request: Value) -> Value {
    let mut variables = visit(key, id, resident, &days_ago(0), "老人反映医保未续缴");
    variables["input"]["openRequest"] = request;
    variables
}

#[tokio::test]
async fn a_visit_opens_a_service_request_with_it_or_neither_is_recorded() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let resident = &village.residents[0];
    let id = device_id();
    let request = json!({
        "catalogueCode": "JL-YB-002",
        "mode": "IN_VILLAGE",
        "description": "代办城乡居民医保缴费",
    });
    let data = village
        .ok(
            &assistant,
            RECORD,
            with_request("open-key-0001", &id, resident, request.clone()),
        )
        .await;
    let recorded = &data["recordVisit"];
    let request_id = recorded["request"]["id"].as_str().unwrap().to_owned();
    assert_eq!(recorded["request"]["status"], "REPORTED");
    assert_eq!(recorded["request"]["visitId"], id.as_str());
    assert_eq!(recorded["request"]["resident"]["id"], resident.as_str());
    assert_eq!(recorded["visit"]["requestId"], request_id.as_str());

    // Sent again from the outbox under another key: the same visit, the same request.
    let again = village
        .ok(
            &assistant,
            RECORD,
            with_request("open-key-0002", &id, resident, request.clone()),
        )
        .await;
    assert_eq!(again["recordVisit"]["replayed"], true);
    assert_eq!(again["recordVisit"]["request"]["id"], request_id.as_str());

    // The township sees the request in its work list, with the visit it came from.
    let township = village
        .ok(
            &village.township_officer(),
            "{ serviceRequests { totalCount nodes { id visitId } } }",
            json!({}),
        )
        .await;
    assert_eq!(township["serviceRequests"]["totalCount"], 1);
    assert_eq!(
        township["serviceRequests"]["nodes"][0]["visitId"],
        id.as_str()
    );

    // A request that cannot be opened takes the visit down with it.
    for (n, (bad, code)) in [
        (
            json!({ "catalogueCode": "JL-NONE-999", "mode": "IN_VILLAGE", "description": "x" }),
            "NOT_FOUND",
        ),
        (
            json!({ "catalogueCode": "JL-YB-002", "mode": "PROXY", "description": "x" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "catalogueCode": "JL-YB-002", "mode": "VIDEO", "description": "x" }),
            "BAD_USER_INPUT",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let lost = device_id();
        let codes = village
            .refused(
                &assistant,
                RECORD,
                with_request(&format!("bad-open-{n:04}"), &lost, resident, bad),
            )
            .await;
        assert_eq!(codes, [code]);
        let one = village
            .ok(
                &assistant,
                "query ($id: ID!) { visit(id: $id) { id } }",
                json!({ "id": lost }),
            )
            .await;
        assert!(one["visit"].is_null());
    }
    let count = village
        .ok(
            &village.township_officer(),
            "{ serviceRequests { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["serviceRequests"]["totalCount"], 1);
}

#[tokio::test]
async fn concurrent_retries_record_one_visit_and_one_request() {
    let village = Village::spawn(4).await;
    let assistant = village.assistant();
    let resident = village.residents[0].clone();
    let id = device_id();
    let request = json!({
        "catalogueCode": "JL-YB-002",
        "mode": "IN_VILLAGE",
        "description": "代办城乡居民医保缴费",
    });
    // The same key eight times at once, and the same visit under four other keys.
    let mut calls = Vec::new();
    for n in 0..12 {
        let key = if n < 8 {
            "race-key-0001".to_owned()
        } else {
            format!("race-key-{n:04}")
        };
        calls.push(village.call(
            &assistant,
            RECORD,
            with_request(&key, &id, &resident, request.clone()),
        ));
    }
    let answers = futures_util::future::join_all(calls).await;
    let mut fresh = 0;
    let mut request_ids = std::collections::BTreeSet::new();
    for answer in &answers {
        assert!(answer.body["errors"].is_null(), "{}", answer.body);
        let recorded = &answer.body["data"]["recordVisit"];
        if recorded["replayed"] == false {
            fresh += 1;
        }
        request_ids.insert(recorded["request"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(fresh, 1, "exactly one attempt recorded the visit");
    assert_eq!(request_ids.len(), 1);
    let township = village
        .ok(
            &village.township_officer(),
            "{ serviceRequests { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(township["serviceRequests"]["totalCount"], 1);
    let listed = village.ok(&assistant, VISITS, json!({})).await;
    assert_eq!(listed["visits"]["totalCount"], 1);
}
