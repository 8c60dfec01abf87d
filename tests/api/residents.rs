//! The unified resident view end to end: the four departments over their real protocols,
//! behind region scope, purpose and audit; partial results when a department fails.

use std::time::{Duration, Instant};

use cunhub::{
    auth::Role,
    domain::Department,
    sim::{Department as Sim, population::Registration},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TOWNSHIP, TestApp, spawn_hub_with_departments, sync};

const FULL_VIEW: &str = r#"query($n: String!) { residentByIdNumber(idNumber: $n) {
    id name sex age idNumber phone relationshipToHead registrationStatus householdNumber
    village { code }
    medicalInsurance { enrolments { scheme status since accountBalance } freshness { source asOf } }
    socialInsurance { schemes { kind status since } freshness { source } }
    pension { monthlyAmount lastCertifiedOn }
    assistance { programmes { programme status monthlyAmount } freshness { source } }
    householdRegistration { status registeredAddress idCard { validity expired } freshness { source } }
    disclosure { group disclosure }
} }"#;

/// A normal resident with a medical record, a social record and an assistance record.
fn well_known(cluster: &cunhub::sim::SimCluster) -> (String, String, String) {
    let population = &cluster.population;
    let person = population
        .people
        .iter()
        .find(|p| {
            matches!(p.registration, Registration::Normal)
                && p.medical.is_some()
                && p.social.is_some()
                && !p.assistance.is_empty()
        })
        .expect("a person known to every department");
    let village = population.village_of(person).code.to_string();
    (
        person.id_number.as_str().to_owned(),
        person.name.to_string(),
        village,
    )
}

fn admin(app: &TestApp) -> String {
    app.token(Role::Admin, "22")
}

#[tokio::test]
async fn one_query_returns_all_four_departments_views_of_one_person() {
    let (app, cluster) = spawn_hub_with_departments(20, |_| {}).await;
    let (id_number, name, village) = well_known(&cluster);
    let response = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    let resident = &response.data()["residentByIdNumber"];
    assert_eq!(resident["name"], name.as_str());
    assert_eq!(resident["idNumber"], id_number.as_str());
    assert_eq!(resident["village"]["code"], village.as_str());
    assert!(
        !resident["medicalInsurance"]["enrolments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(resident["medicalInsurance"]["freshness"]["source"], "LIVE");
    assert!(
        !resident["assistance"]["programmes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(resident["householdRegistration"]["status"], "NORMAL");
    assert_eq!(
        resident["disclosure"],
        json!([]),
        "an admin sees everything"
    );
    let departments: Vec<&str> = response.body["extensions"]["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department"].as_str().unwrap())
        .collect();
    assert_eq!(
        departments,
        [
            "civil_affairs",
            "medical_insurance",
            "public_security",
            "social_security"
        ]
    );
    // Asked again, the same answers come from the cache.
    let again = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(
        again.data()["residentByIdNumber"]["medicalInsurance"]["freshness"]["source"],
        "CACHE"
    );
}

#[tokio::test]
async fn personal_data_needs_a_token_a_role_and_a_purpose() {
    let (app, cluster) = spawn_hub_with_departments(10, |_| {}).await;
    let (id_number, _, village) = well_known(&cluster);
    let query = "query($n: String!) { residentByIdNumber(idNumber: $n) { name } }";
    let anonymous = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(anonymous.error_codes(), ["UNAUTHENTICATED"]);
    let assistant = app.token(Role::VillageAssistant, &village);
    let no_purpose = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .bearer(&assistant)
        .send()
        .await;
    assert_eq!(no_purpose.error_codes(), ["PURPOSE_REQUIRED"]);
    assert!(no_purpose.data()["residentByIdNumber"].is_null());
    let bad_purpose = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .bearer(&assistant)
        .purpose("CURIOSITY")
        .send()
        .await;
    assert_eq!(bad_purpose.error_codes(), ["PURPOSE_REQUIRED"]);
    let dashboard = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .bearer(app.token(Role::Dashboard, "22"))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(dashboard.error_codes(), ["FORBIDDEN"]);
    let granted = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .bearer(&assistant)
        .purpose("VISIT")
        .send()
        .await;
    assert!(
        granted.data()["residentByIdNumber"]["name"].is_string(),
        "{}",
        granted.body
    );
}

#[tokio::test]
async fn a_malformed_id_number_says_what_is_wrong() {
    let (app, _cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let query = "query($n: String!) { residentByIdNumber(idNumber: $n) { name } }";
    for (number, words) in [
        ("220122195603020018", "last character"),
        ("220122198502300021", "does not exist"),
        ("22012219560302", "18 characters"),
    ] {
        let response = app
            .graphql(query)
            .variables(json!({ "n": number }))
            .bearer(admin(&app))
            .purpose("VISIT")
            .send()
            .await;
        assert_eq!(response.error_codes(), ["INVALID_ID_NUMBER"], "{number}");
        let message = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{number}: {message}");
    }
}

/// A number with the right check character over `first17`.
fn with_check(first17: &str) -> String {
    let mut digits = [0u8; 17];
    digits.copy_from_slice(first17.as_bytes());
    format!(
        "{first17}{}",
        cunhub::domain::id_number::check_character(&digits)
    )
}

#[tokio::test]
async fn a_future_birth_date_or_a_development_zone_code_is_named_not_a_silent_miss() {
    let app = crate::helpers::spawn_app().await;
    let query = "query($n: String!) { residentByIdNumber(idNumber: $n) { name } }";
    let tomorrow = cunhub::domain::id_number::china_today()
        .succ_opt()
        .unwrap()
        .format("%Y%m%d");
    for (number, words) in [
        (
            with_check("22012220991231001"),
            "2099-12-31 in the ID number",
        ),
        (
            with_check(&format!("220122{tomorrow}001")),
            "lies in the future",
        ),
        (with_check("22017119800101001"), "220171"),
        (with_check("22017119800101001"), "development zone"),
    ] {
        let response = app
            .graphql(query)
            .variables(json!({ "n": number }))
            .bearer(admin(&app))
            .purpose("VISIT")
            .send()
            .await;
        assert_eq!(response.error_codes(), ["INVALID_ID_NUMBER"], "{number}");
        let message = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{number}: {message}");
    }
    // A former county code (公主岭市 under 四平) is a valid number: unregistered here, so null.
    let response = app
        .graphql(query)
        .variables(json!({ "n": with_check("22038119800101001") }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    assert!(response.data()["residentByIdNumber"].is_null());
}

#[tokio::test]
async fn another_villages_resident_answers_like_nobody_by_every_path() {
    let (app, cluster) = spawn_hub_with_departments(10, |_| {}).await;
    let population = &cluster.population;
    let villages: Vec<String> = population
        .villages
        .iter()
        .map(|v| v.code.to_string())
        .collect();
    let (mine, theirs) = (&villages[0], &villages[1]);
    let stranger = population
        .people
        .iter()
        .find(|p| population.village_of(p).code.as_str() == theirs.as_str())
        .unwrap();
    let assistant = app.token(Role::VillageAssistant, mine);
    let by_number = app
        .graphql("query($n: String!) { residentByIdNumber(idNumber: $n) { name } }")
        .variables(json!({ "n": stranger.id_number.as_str() }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert!(by_number.data()["residentByIdNumber"]["name"].is_string());
    let id_query = format!(
        r#"{{ residentByIdNumber(idNumber: "{}") {{ id householdNumber }} }}"#,
        stranger.id_number.as_str()
    );
    let stranger_ids = app
        .graphql(&id_query)
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    let stranger_id = stranger_ids.data()["residentByIdNumber"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let household = stranger_ids.data()["residentByIdNumber"]["householdNumber"]
        .as_str()
        .unwrap()
        .to_owned();

    let call = |query: String| {
        app.graphql_owned(query)
            .bearer(assistant.clone())
            .purpose("VISIT")
    };
    let by_number = call(format!(
        r#"{{ residentByIdNumber(idNumber: "{}") {{ name }} }}"#,
        stranger.id_number.as_str()
    ))
    .send()
    .await;
    assert_eq!(
        by_number.body,
        json!({ "data": { "residentByIdNumber": null } }),
        "no error, no hint"
    );
    let by_id = call(format!(r#"{{ a: resident(id: "{stranger_id}") {{ name }} ...F }} fragment F on Query {{ b: resident(id: "{stranger_id}") {{ idNumber }} }}"#)).send().await;
    assert_eq!(by_id.data(), &json!({ "a": null, "b": null }));
    let by_household = call(format!(
        r#"{{ household(number: "{household}") {{ members {{ name }} }} }}"#
    ))
    .send()
    .await;
    assert!(by_household.data()["household"].is_null());
    let listed = call(format!(
        r#"{{ residents(region: "{theirs}") {{ totalCount nodes {{ name }} }} }}"#
    ))
    .send()
    .await;
    assert_eq!(listed.data()["residents"]["totalCount"], 0);
    // A cursor forged from their resident id pages nothing of theirs either (asked of
    // residents of 14 or over, whose village a listing shows).
    let cursor = base64_cursor(&stranger_id);
    let crafted = call(format!(r#"{{ residents(region: "{mine}", after: "{cursor}", filter: {{ minAge: 14 }}) {{ nodes {{ village {{ code }} }} }} }}"#)).send().await;
    for node in crafted.data()["residents"]["nodes"].as_array().unwrap() {
        assert_eq!(node["village"]["code"], mine.as_str());
    }
    // The township of both lists both.
    let township = app.token(Role::TownshipOfficer, TOWNSHIP);
    let both = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}") {{ totalCount }} }}"#
        ))
        .bearer(township)
        .purpose("VISIT")
        .send()
        .await;
    assert!(both.data()["residents"]["totalCount"].as_u64().unwrap() > 20);
}

fn base64_cursor(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("resident:{id}"))
}

#[tokio::test]
async fn a_village_assistant_sees_the_matrix_row_of_the_policy() {
    let (app, cluster) = spawn_hub_with_departments(20, |_| {}).await;
    let (id_number, _, village) = well_known(&cluster);
    let assistant = app.token(Role::VillageAssistant, &village);
    let response = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(assistant)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    let resident = &response.data()["residentByIdNumber"];
    let masked = format!("{}********{}", &id_number[..6], &id_number[14..]);
    assert_eq!(resident["idNumber"], masked.as_str());
    assert!(resident["assistance"]["programmes"][0]["monthlyAmount"].is_null());
    let address = resident["householdRegistration"]["registeredAddress"]
        .as_str()
        .unwrap();
    assert!(address.ends_with("***"), "{address}");
    assert!(
        resident["disclosure"]
            .as_array()
            .unwrap()
            .contains(&json!({ "group": "ID_NUMBER", "disclosure": "MASKED" }))
    );
    let withheld = response.body["extensions"]["withheldFieldGroups"]
        .as_array()
        .unwrap();
    assert!(
        withheld.contains(&json!("assistance_amounts")),
        "{}",
        response.body
    );
    // The same record fetched first by an admin is not unmasked by the shared cache.
    let admin_view = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(
        admin_view.data()["residentByIdNumber"]["idNumber"],
        id_number.as_str()
    );
    let assistant_again = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(app.token(Role::VillageAssistant, &village))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(
        assistant_again.data()["residentByIdNumber"]["idNumber"],
        masked.as_str()
    );
    assert!(assistant_again.data()["residentByIdNumber"]["assistance"]["programmes"][0]["monthlyAmount"].is_null());
}

#[tokio::test]
async fn a_department_that_is_down_costs_its_fields_and_one_error_each() {
    let (app, cluster) = spawn_hub_with_departments(10, |s| {
        s.departments.defaults.cache_ttl = Duration::from_millis(1);
    })
    .await;
    let (id_number, _, _) = well_known(&cluster);
    let query = r#"query($n: String!) { residentByIdNumber(idNumber: $n) {
        name householdRegistration { status freshness { source } } medicalInsurance { freshness { source } } } }"#;
    let warm = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(
        warm.data()["residentByIdNumber"]["householdRegistration"]["freshness"]["source"],
        "LIVE"
    );
    cluster
        .knobs(Sim::PublicSecurity)
        .unwrap()
        .patch(&json!({ "outage": "unavailable" }))
        .unwrap();
    let stale = app
        .graphql(query)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(
        stale.data()["residentByIdNumber"]["householdRegistration"]["freshness"]["source"],
        "STALE",
        "{}",
        stale.body
    );
    // Someone never fetched before has no stale answer: null and a typed error.
    let other = cluster
        .population
        .people
        .iter()
        .rev()
        .find(|p| {
            p.id_number.as_str() != id_number && matches!(p.registration, Registration::Normal)
        })
        .unwrap();
    let down = app
        .graphql(query)
        .variables(json!({ "n": other.id_number.as_str() }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(down.status, StatusCode::OK);
    let resident = &down.data()["residentByIdNumber"];
    assert!(resident["name"].is_string());
    assert!(resident["householdRegistration"].is_null());
    assert!(
        !resident["medicalInsurance"].is_null(),
        "the other departments still answer"
    );
    assert_eq!(down.error_codes(), ["DEPARTMENT_UNAVAILABLE"]);
    assert_eq!(
        down.body["errors"][0]["extensions"]["department"],
        "public_security"
    );
    assert_eq!(
        down.body["errors"][0]["path"],
        json!(["residentByIdNumber", "householdRegistration"])
    );
    let message = down.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("127.0.0.1") && !message.contains("secret"),
        "{message}"
    );
}

#[tokio::test]
async fn a_slow_department_times_out_within_the_deadline() {
    let (app, cluster) = spawn_hub_with_departments(5, |s| {
        s.server.request_deadline = Duration::from_millis(400);
    })
    .await;
    let (id_number, _, _) = well_known(&cluster);
    cluster
        .knobs(Sim::MedicalInsurance)
        .unwrap()
        .patch(&json!({ "latency_ms": 3000 }))
        .unwrap();
    let started = Instant::now();
    let response = app
        .graphql("query($n: String!) { residentByIdNumber(idNumber: $n) { name medicalInsurance { enrolments { scheme } } socialInsurance { schemes { kind } } } }")
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1200),
        "answered after {elapsed:?}"
    );
    assert_eq!(response.error_codes(), ["DEPARTMENT_TIMEOUT"]);
    assert!(!response.data()["residentByIdNumber"]["socialInsurance"].is_null());
}

#[tokio::test]
async fn a_page_of_residents_costs_one_batch_call_per_department_that_has_one() {
    let (app, cluster) = spawn_hub_with_departments(130, |_| {}).await;
    let village = cluster.population.villages[0].code.to_string();
    for d in [
        Sim::SocialSecurity,
        Sim::CivilAffairs,
        Sim::MedicalInsurance,
    ] {
        cluster.knobs(d).unwrap().reset_stats();
    }
    let response = app
        .graphql_owned(format!(r#"{{ residents(region: "{village}", first: 100) {{ nodes {{ name socialInsurance {{ schemes {{ kind }} }} pension {{ lastCertifiedOn }} assistance {{ programmes {{ programme }} }} medicalInsurance {{ enrolments {{ scheme }} }} }} }} }}"#))
        .bearer(admin(&app))
        .purpose("ELIGIBILITY_REVIEW")
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    assert_eq!(
        response.data()["residents"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    let social = cluster.knobs(Sim::SocialSecurity).unwrap().stats();
    assert_eq!(
        social.requests, 1,
        "one batch query: {:?}",
        social.by_operation
    );
    let civil = cluster.knobs(Sim::CivilAffairs).unwrap().stats();
    assert_eq!(
        civil.by_operation.get("QueryAssistanceByIdCard"),
        None,
        "{:?}",
        civil.by_operation
    );
    let medical = cluster.knobs(Sim::MedicalInsurance).unwrap().stats();
    assert_eq!(medical.requests, 100);
    assert!(medical.max_in_flight_seen <= 16);
}

#[tokio::test]
async fn every_read_leaves_a_verifiable_audit_record() {
    let (app, cluster) = spawn_hub_with_departments(10, |_| {}).await;
    let (id_number, _, village) = well_known(&cluster);
    let assistant = app.token(Role::VillageAssistant, &village);
    app.graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(&assistant)
        .purpose("VISIT")
        .header("x-case-ref", "SR-2026-0042")
        .send()
        .await;
    app.graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(&assistant)
        .send()
        .await;
    let records: Vec<Value> = audit_rows(&app).await;
    let read = records
        .iter()
        .find(|r| r["action"] == "resident.read")
        .expect("a read record");
    assert_eq!(read["purpose"], "VISIT");
    assert_eq!(read["case_ref"], "SR-2026-0042");
    assert_eq!(read["role"], "village_assistant");
    let departments = read["departments"].as_str().unwrap();
    for d in [
        "medical_insurance",
        "social_security",
        "civil_affairs",
        "public_security",
    ] {
        assert!(departments.contains(d), "{departments}");
    }
    assert!(
        !records.iter().any(|r| r.to_string().contains(&id_number)),
        "no ID number in the log"
    );
    assert!(
        records
            .iter()
            .any(|r| r["outcome"] == "refused:purpose_required")
    );
    let report = cunhub::audit::verify(&app.db).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.records as usize, records.len());
}

async fn audit_rows(app: &TestApp) -> Vec<Value> {
    use sea_orm::{EntityTrait, QueryOrder};
    entities::audit_record::Entity::find()
        .order_by_asc(entities::audit_record::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            json!({ "action": r.action, "purpose": r.purpose, "case_ref": r.case_ref, "role": r.role,
                    "departments": r.departments, "outcome": r.outcome, "target": r.target, "groups": r.field_groups })
        })
        .collect()
}

#[tokio::test]
async fn without_an_audit_log_no_personal_data_leaves() {
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let (id_number, _, _) = well_known(&cluster);
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DROP TABLE audit_record")
        .await
        .unwrap();
    let response = app
        .graphql("query($n: String!) { residentByIdNumber(idNumber: $n) { name idNumber } }")
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["AUDIT_UNAVAILABLE"]);
    assert!(!response.body.to_string().contains(&id_number));
    assert!(response.body.get("data").is_none() || response.data().is_null());
}

#[tokio::test]
async fn sync_is_idempotent_and_resident_ids_survive_it() {
    let (app, cluster) = spawn_hub_with_departments(10, |_| {}).await;
    let expected = cluster.population.people.len() as u64;
    let count = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}") {{ totalCount nodes {{ id }} }} }}"#
        ))
        .bearer(admin(&app))
        .purpose("AUDIT")
        .send()
        .await;
    assert_eq!(count.data()["residents"]["totalCount"], expected);
    let first_ids = count.data()["residents"]["nodes"].clone();
    let again = sync(&app, TOWNSHIP).await;
    assert_eq!((again.seen, again.added, again.changed), (expected, 0, 0));
    let after = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}") {{ nodes {{ id }} }} }}"#
        ))
        .bearer(admin(&app))
        .purpose("AUDIT")
        .send()
        .await;
    assert_eq!(after.data()["residents"]["nodes"], first_ids);
    // A prefecture or the province is synchronised county by county (the register lists a
    // county at most): the same people, nobody twice.
    for wider in ["2201", "22"] {
        let report = sync(&app, wider).await;
        assert_eq!((report.seen, report.added), (expected, 0), "{wider}");
    }
}

#[tokio::test]
async fn integrators_see_their_departments_health_and_no_one_else_does() {
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let (id_number, _, _) = well_known(&cluster);
    app.graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    let query = "{ departmentHealth { department breaker attempts latencyP50Ms lastSuccess } }";
    let integrator = app.token_with(Role::Integrator, "220122", Some(Department::PublicSecurity));
    let own = app.graphql(query).bearer(integrator).send().await;
    let health = own.data()["departmentHealth"].as_array().unwrap();
    assert_eq!(health.len(), 1);
    assert_eq!(health[0]["department"], "public_security");
    assert_eq!(health[0]["breaker"], "CLOSED");
    assert!(health[0]["attempts"].as_u64().unwrap() > 0);
    let all = app.graphql(query).bearer(admin(&app)).send().await;
    // The four adapters and the three declared departments.
    assert_eq!(all.data()["departmentHealth"].as_array().unwrap().len(), 7);
    let veterans = app.token_with(
        Role::Integrator,
        "220122",
        Some(Department::VeteransAffairs),
    );
    let own = app.graphql(query).bearer(veterans).send().await;
    assert_eq!(
        own.data()["departmentHealth"][0]["department"],
        "veterans_affairs"
    );
    let assistant = app
        .graphql(query)
        .bearer(app.token(Role::VillageAssistant, "220122101201"))
        .send()
        .await;
    assert_eq!(assistant.error_codes(), ["FORBIDDEN"]);
    let metrics = app.metrics().await;
    assert!(metrics.contains("department_attempts_total"), "{metrics}");
}

#[tokio::test]
async fn metrics_show_every_departments_health() {
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let (id_number, _, _) = well_known(&cluster);
    let response = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    let metrics = app.metrics().await;
    for department in [
        Department::MedicalInsurance,
        Department::SocialSecurity,
        Department::CivilAffairs,
        Department::PublicSecurity,
    ] {
        let d = department.as_str();
        for series in [
            format!(r#"cunhub_department_configured{{department="{d}"}} 1"#),
            format!(r#"cunhub_department_breaker_state{{department="{d}"}} 0"#),
            format!(r#"cunhub_department_latency_seconds{{department="{d}",percentile="50"}}"#),
            format!(r#"cunhub_department_latency_seconds{{department="{d}",percentile="99"}}"#),
            format!(r#"cunhub_department_attempts_total{{department="{d}"}}"#),
            format!(r#"cunhub_department_errors_total{{department="{d}"}} 0"#),
            format!(r#"cunhub_department_rate_limited_total{{department="{d}"}} 0"#),
            format!(r#"cunhub_department_timeouts_total{{department="{d}"}} 0"#),
            format!(r#"cunhub_department_short_circuited_total{{department="{d}"}} 0"#),
            format!(r#"cunhub_department_calls_in_flight{{department="{d}"}} 0"#),
            format!(r#"cunhub_department_last_success_timestamp_seconds{{department="{d}"}}"#),
        ] {
            assert!(
                metrics.contains(&series),
                "{series} missing from:\n{metrics}"
            );
        }
        assert!(
            !metrics.contains(&format!(
                r#"cunhub_department_attempts_total{{department="{d}"}} 0"#
            )),
            "{d} was asked"
        );
        assert!(
            !metrics.contains(&format!(
                r#"cunhub_department_last_failure_timestamp_seconds{{department="{d}"}}"#
            )),
            "{d} never failed"
        );
    }
    // A failing department shows its failure.
    cluster
        .knobs(Sim::PublicSecurity)
        .unwrap()
        .patch(&json!({ "outage": "unavailable" }))
        .unwrap();
    let other = cluster
        .population
        .people
        .iter()
        .find(|p| {
            p.id_number.as_str() != id_number && matches!(p.registration, Registration::Normal)
        })
        .unwrap();
    app.graphql(FULL_VIEW)
        .variables(json!({ "n": other.id_number.as_str() }))
        .bearer(admin(&app))
        .purpose("VISIT")
        .send()
        .await;
    let metrics = app.metrics().await;
    let failed =
        r#"cunhub_department_last_failure_timestamp_seconds{department="public_security"}"#;
    assert!(metrics.contains(failed), "{metrics}");
    assert!(
        !metrics.contains(r#"cunhub_department_errors_total{department="public_security"} 0"#),
        "{metrics}"
    );
    // Every family, with departments that answered and one that failed, is one that
    // Prometheus's own linter accepts.
    assert_promtool_accepts(&metrics);
}

/// `promtool check metrics` (Debian's `prometheus` package; `.ci/run` installs it) on
/// `metrics`; skipped, saying so, where promtool is not installed.
fn assert_promtool_accepts(metrics: &str) {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: promtool is not installed (apt-get install prometheus)");
            return;
        }
        Err(err) => panic!("promtool: {err}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics:\n{}{}\n{metrics}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn an_interrupted_sync_resumes_where_it_stopped() {
    let (app, cluster) = spawn_hub_with_departments(10, |_| {}).await;
    let expected = cluster.population.people.len() as u64;
    // A fresh index of the same register: the first run stops after two pages.
    let fresh =
        crate::helpers::spawn_app_with(|s| s.departments = app.settings.departments.clone()).await;
    let vault = cunhub::store::id_vault::IdVault::from_settings(&fresh.settings.privacy).unwrap();
    let departments = cunhub::adapters::Departments::new(&fresh.settings.departments).unwrap();
    let region = cunhub::domain::RegionCode::parse(TOWNSHIP).unwrap();
    let pages = std::sync::atomic::AtomicU32::new(0);
    let interrupted = cunhub::sync::run(
        &fresh.db,
        &vault,
        &region,
        |cursor: Option<String>| {
            let n = pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let departments = &departments;
            let region = &region;
            async move {
                if n == 2 {
                    return Err(cunhub::adapters::AdapterError::Timeout {
                        department: cunhub::domain::Department::PublicSecurity,
                    });
                }
                let ctx = cunhub::adapters::CallContext::new(Duration::from_secs(10));
                departments
                    .police
                    .village_page(region, cursor.as_deref(), 100, &ctx)
                    .await
            }
        },
        |_, _| {},
    )
    .await;
    assert!(interrupted.is_err());
    let resumed = sync(&fresh, TOWNSHIP).await;
    assert!(resumed.resumed);
    assert_eq!(
        (resumed.seen, resumed.added),
        (expected, expected),
        "the first two pages are not read twice into the counts"
    );
    let again = sync(&fresh, TOWNSHIP).await;
    assert!(!again.resumed);
    assert_eq!((again.seen, again.added, again.changed), (expected, 0, 0));
}
