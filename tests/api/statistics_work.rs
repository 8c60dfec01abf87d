//! The work indicators of the dashboard (measures 4, 18, 27 and 31 of the notice) against
//! what the test itself did through the API on a fixed calendar: steps answered on time
//! or late per level, the median working days to resolution, alerts handled and the days
//! it took, key groups visited within 30 and 90 days, and the catalogue offered per level.

use chrono::{DateTime, Utc};
use cunhub::{
    auth::Role,
    domain::Department,
    screening::{
        findings::{self, NewAlert},
        rules::{AlertKind, Fact, Finding},
    },
};
use serde_json::{Value, json};

use crate::{
    helpers::TOWNSHIP,
    workflow::{World, at, version, world_of},
};

const QUERY: &str = "query($r: String!, $u: Boolean) { statistics(region: $r, unsuppressed: $u) { region { code figures { indicator value state } medians { indicator value state } } } }";

/// The day of the snapshot: a Monday, noon in Beijing.
const SNAPSHOT: &str = "2026-11-30T04:00:00Z";

fn figures(stats: &Value) -> std::collections::BTreeMap<String, (Option<i64>, String)> {
    stats["region"]["figures"]
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

fn median(stats: &Value, key: &str) -> (Option<f64>, String) {
    let m = stats["region"]["medians"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["indicator"] == key)
        .unwrap_or_else(|| panic!("{key} missing"));
    (m["value"].as_f64(), m["state"].as_str().unwrap().to_owned())
}

async fn statistics(w: &World, token: &str, region: &str, unsuppressed: bool) -> Value {
    let response = w
        .app
        .graphql(QUERY)
        .variables(json!({ "r": region, "u": unsuppressed }))
        .bearer(token)
        .send()
        .await;
    assert!(response.error_codes().is_empty(), "{}", response.body);
    response.data()["statistics"].clone()
}

/// Two requests of the village on the calendar of November 2026, as the four levels
/// handle them; returns the working days request A took to resolve.
async fn work_two_requests(w: &World) -> i64 {
    let township = w.township();
    let clerk = w.clerk(Department::MedicalInsurance);
    // A: opened Monday 19 October, accepted and routed the same morning (on time); the
    // department answers three weeks later (late: it had one working day), the village
    // confirms at once (on time).
    w.app.clock.set(at("2026-10-19T01:00:00Z"));
    let (a, v) = w.opened("JL-YB-001").await;
    let accepted = w.step(&township, &a, v, "ACCEPT", None).await;
    let routed = w
        .step(
            &township,
            &a,
            version(&accepted),
            "ROUTE",
            Some("MEDICAL_INSURANCE"),
        )
        .await;
    w.app.clock.set(at("2026-11-09T01:00:00Z"));
    let responded = w.step(&clerk, &a, version(&routed), "RESPOND", None).await;
    w.step(
        &w.assistant(),
        &a,
        version(&responded),
        "CONFIRM_RESOLVED",
        None,
    )
    .await;
    // B: opened Monday 16 November, accepted on Wednesday 25th (late: one working day).
    w.app.clock.set(at("2026-11-16T01:00:00Z"));
    let (b, v) = w.opened("JL-YB-001").await;
    w.app.clock.set(at("2026-11-25T01:00:00Z"));
    w.step(&township, &b, v, "ACCEPT", None).await;
    // 20 October to 9 November: three whole weeks and the Monday, no holiday between.
    15
}

/// Two alerts of the resident first found on 20 November, handled on the 30th.
async fn handle_two_alerts(w: &World) {
    let found = at("2026-11-20T04:00:00Z");
    let alert = |kind| NewAlert {
        resident_id: w.resident.clone(),
        finding: Finding {
            kind,
            facts: vec![Fact {
                department: Department::CivilAffairs.as_str().to_owned(),
                fact: "planted for the indicator test".to_owned(),
            }],
        },
    };
    let alerts = [
        alert(AlertKind::ElderlyNoAllowance),
        alert(AlertKind::IdCardExpired),
    ];
    findings::replace_village(&w.app.db, &w.village, &alerts, found)
        .await
        .unwrap();
    // A later run finding them again keeps when they were first found.
    findings::replace_village(&w.app.db, &w.village, &alerts, at("2026-11-27T04:00:00Z"))
        .await
        .unwrap();
    w.app.clock.set(at(SNAPSHOT));
    let call = |query: &'static str, input: Value| {
        let token = w.assistant();
        async move {
            let response = w
                .app
                .graphql(query)
                .variables(json!({ "input": input }))
                .bearer(token)
                .purpose("SERVICE_HANDLING")
                .send()
                .await;
            assert!(response.error_codes().is_empty(), "{}", response.body);
        }
    };
    call(
        "mutation($input: AcknowledgeAlertInput!) { acknowledgeAlert(input: $input) { alertId } }",
        json!({ "alertId": format!("{}:ELDERLY_NO_ALLOWANCE", w.resident), "note": "visiting", "idempotencyKey": "ack-0000000001" }),
    )
    .await;
    call(
        "mutation($input: DismissAlertInput!) { dismissAlert(input: $input) { alertId } }",
        json!({ "alertId": format!("{}:ID_CARD_EXPIRED", w.resident), "reason": "card renewed at the counter", "idempotencyKey": "dis-0000000001" }),
    )
    .await;
}

/// Visits of two residents, on days counted back from the snapshot's day.
async fn record_visits(w: &World, other: &str) {
    let visits = [
        (w.resident.as_str(), "LEFT_BEHIND_ELDERLY", "2026-11-20"),
        (w.resident.as_str(), "LEFT_BEHIND_ELDERLY", "2026-10-11"),
        (other, "LEFT_BEHIND_ELDERLY", "2026-10-01"),
        (other, "OTHER", "2026-08-02"),
        (w.resident.as_str(), "ELDERLY_LIVING_ALONE", "2026-11-25"),
    ];
    for (resident, group, day) in visits {
        let response = w
            .app
            .graphql("mutation($input: RecordVisitInput!) { recordVisit(input: $input) { visit { id } } }")
            .variables(json!({ "input": {
                "idempotencyKey": uuid::Uuid::new_v4().to_string(),
                "id": uuid::Uuid::new_v4().to_string(),
                "residentId": resident,
                "keyGroup": group,
                "visitedOn": day,
                "findings": "doing well",
            }}))
            .bearer(w.assistant())
            .purpose("VISIT")
            .send()
            .await;
        assert!(response.error_codes().is_empty(), "{}", response.body);
    }
}

/// Catalogue items offered in `region` by level, read through the public catalogue.
async fn catalogue_levels(w: &World, region: &str) -> [i64; 3] {
    let response = w
        .app
        .graphql("query($r: String!) { catalogue(region: $r, first: 100) { totalCount nodes { level } } }")
        .variables(json!({ "r": region }))
        .send()
        .await;
    let mut counts = [0; 3];
    for node in response.data()["catalogue"]["nodes"].as_array().unwrap() {
        let at = match node["level"].as_str().unwrap() {
            "PROVINCIAL_REFERENCE" => 0,
            "MUNICIPAL_GUIDANCE" => 1,
            _ => 2,
        };
        counts[at] += 1;
    }
    counts
}

#[tokio::test]
async fn work_indicators_count_what_the_levels_did() {
    // The overdue sweep stays out of the way: escalations are not what is counted here.
    let w = world_of(8, |s| {
        s.workflow.overdue_check_interval = std::time::Duration::from_secs(3600)
    })
    .await;
    let other = {
        use entities::resident;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        resident::Entity::find()
            .filter(resident::Column::VillageCode.eq(w.village.clone()))
            .filter(resident::Column::Id.ne(w.resident.clone()))
            .one(&w.app.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let working_days = work_two_requests(&w).await;
    handle_two_alerts(&w).await;
    record_visits(&w, &other).await;
    let taken: DateTime<Utc> = at(SNAPSHOT);
    w.app.statistics.take(&w.app.db, 5, taken).await.unwrap();

    let admin = w.app.token(Role::Admin, "22");
    let raw = statistics(&w, &admin, &w.village, true).await;
    let got = figures(&raw);
    let value = |key: &str| got.get(key).unwrap_or_else(|| panic!("{key} missing")).0;
    let expected = [
        ("requests.opened", 2),
        ("requests.opened@2026-10", 1),
        ("requests.opened@2026-11", 1),
        ("requests.resolved", 1),
        ("requests.routed", 1),
        ("requests.routed.medical_insurance", 1),
        ("requests.item.opened.JL-YB-001", 2),
        ("requests.item.resolved.JL-YB-001", 1),
        ("requests.steps.township", 3),
        ("requests.steps_on_time.township", 2),
        ("requests.steps_late.township", 1),
        ("requests.steps.department", 1),
        ("requests.steps_on_time.department", 0),
        ("requests.steps_late.department", 1),
        ("requests.steps_late.department.medical_insurance", 1),
        ("requests.steps.village", 1),
        ("requests.steps_on_time.village", 1),
        ("alerts.handled", 2),
        ("alerts.handled@2026-11", 2),
        ("alerts.handled.ACKNOWLEDGED", 1),
        ("alerts.handled.DISMISSED", 1),
        ("alerts.handled.REQUEST_OPENED", 0),
        ("visits.visits", 5),
        ("visits.within_30.LEFT_BEHIND_ELDERLY", 1),
        ("visits.within_90.LEFT_BEHIND_ELDERLY", 2),
        ("visits.within_90.OTHER", 0),
    ];
    for (key, want) in expected {
        assert_eq!(value(key), Some(want), "{key}");
    }
    // A group of known size: the visited are capped at it, the rest not visited.
    let alone = value("population.living_alone_60_plus").unwrap();
    for days in [30, 90] {
        let visited = value(&format!("visits.within_{days}.ELDERLY_LIVING_ALONE")).unwrap();
        let not = value(&format!("visits.not_within_{days}.ELDERLY_LIVING_ALONE")).unwrap();
        assert_eq!(visited, alone.min(1), "visited within {days} days");
        assert_eq!(visited + not, alone);
    }
    // Late and in time add up to what was routed and opened.
    assert_eq!(value("requests.in_time.medical_insurance"), Some(1));
    assert_eq!(value("requests.item.in_time.JL-YB-001"), Some(2));
    assert_eq!(
        median(&raw, "requests.median_working_days_to_resolve").0,
        Some(working_days as f64)
    );
    assert_eq!(
        median(&raw, "alerts.median_days_to_handle").0,
        Some(10.0),
        "first found on the 20th, handled on the 30th"
    );

    // The catalogue offered, as the public catalogue lists it for the village and the
    // township.
    for region in [w.village.as_str(), TOWNSHIP] {
        let stats = statistics(&w, &admin, region, false).await;
        let got = figures(&stats);
        let want = catalogue_levels(&w, region).await;
        for ((key, _), want) in cunhub::statistics::indicators::CATALOGUE_LEVELS
            .iter()
            .zip(want)
        {
            assert_eq!(
                got[*key],
                (Some(want), "PUBLISHED".to_owned()),
                "{key} of {region}"
            );
        }
        assert!(want.iter().sum::<i64>() > 0);
    }

    // The township's dashboard sees the same snapshot with the small figures and the
    // thin medians withheld.
    let dashboard = w.app.token(Role::Dashboard, TOWNSHIP);
    let public = statistics(&w, &dashboard, &w.village, false).await;
    let seen = figures(&public);
    assert_eq!(seen["requests.steps.township"], (None, "SMALL".to_owned()));
    assert_eq!(seen["requests.steps_on_time.department"].0, Some(0));
    assert_eq!(
        median(&public, "requests.median_working_days_to_resolve"),
        (None, "SMALL".to_owned())
    );
}
