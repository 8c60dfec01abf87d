//! Screening runs over the test township against the simulators' planted ground truth,
//! resumption, the alert access matrix, and interactive reads during a run.

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use cunhub::{
    adapters::Departments,
    auth::Role,
    domain::{Department, RegionCode},
    screening::{RunOptions, ScreenReport, Screener, findings},
    sim::{FaultRates, GenOptions, SimCluster, SimOptions},
    store::{id_vault::IdVault, residents},
};
use serde_json::Value;

use crate::helpers::{TOWNSHIP, TestApp, spawn_app_with, sync, today};

/// The township with fault rates high enough that every kind has cases, the hub pointed
/// at it, and its index synchronised.
async fn spawn_township() -> (TestApp, SimCluster) {
    let mut generation = GenOptions::new(RegionCode::parse(TOWNSHIP).unwrap(), today());
    generation.people_per_village = 40;
    generation.rates = FaultRates {
        deceased_still_paid: 0.4,
        assistance_not_insured: 0.4,
        elderly_no_allowance: 0.2,
        severe_disability_no_nursing: 0.4,
        pension_cert_overdue: 0.2,
        id_card_expired: 0.1,
        name_mismatch: 0.05,
        rare_name: 0.05,
        veteran_no_card: 0.4,
        no_family_doctor: 0.2,
        relapse_unemployed_no_help: 0.8,
        deceased_still_listed: 0.6,
    };
    let cluster = SimCluster::start(SimOptions::new(generation))
        .await
        .unwrap();
    let app = spawn_app_with(|settings| {
        cluster.configure(&mut settings.departments);
        settings.departments.defaults.backoff = Duration::from_millis(20);
        settings.departments.medical_insurance.division = Some("220122".into());
    })
    .await;
    sync(&app, TOWNSHIP).await;
    (app, cluster)
}

pub async fn screen(app: &TestApp, max_villages: Option<u64>) -> ScreenReport {
    let vault = IdVault::from_settings(&app.settings.privacy).unwrap();
    let departments = Departments::new(&app.settings.departments).unwrap();
    let screener = Screener {
        db: &app.db,
        vault: &vault,
        departments: &departments,
        department_settings: &app.settings.departments,
        settings: &app.settings.screening,
    };
    let options = RunOptions {
        max_villages,
        today: Some(today()),
    };
    screener
        .run(&RegionCode::parse(TOWNSHIP).unwrap(), &options, |_| {})
        .await
        .unwrap()
}

/// (resident id, kind code) of every stored alert of the township.
async fn stored(app: &TestApp) -> BTreeSet<(String, String)> {
    findings::all_in(&app.db, TOWNSHIP)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.resident_id, a.kind.code().to_owned()))
        .collect()
}

/// (resident id, kind code) of every planted fault: the id the index assigned to the
/// person with the fault's ID number.
async fn planted(app: &TestApp, cluster: &SimCluster) -> BTreeSet<(String, String)> {
    let vault = IdVault::from_settings(&app.settings.privacy).unwrap();
    let mut truth = BTreeSet::new();
    for fault in cluster.population.planted_faults() {
        let hashes = vault.lookup_hashes(fault.id_number.as_str());
        let id = cunhub::store::residents::find_by_lookup_hashes(&app.db, &hashes)
            .await
            .unwrap()
            .unwrap()
            .id;
        for kind in fault.kinds {
            truth.insert((id.clone(), kind.code().to_owned()));
        }
    }
    truth
}

#[tokio::test]
async fn a_run_finds_exactly_the_planted_faults_and_a_resumed_run_the_same() {
    let (app, cluster) = spawn_township().await;
    let truth = planted(&app, &cluster).await;
    for kind in cunhub::screening::AlertKind::ALL {
        assert!(
            truth.iter().any(|(_, k)| k == kind.code()),
            "{kind:?} has no planted case"
        );
    }

    let first = screen(&app, Some(3)).await;
    assert!(!first.finished);
    assert_eq!(first.villages, 3);
    let rest = screen(&app, None).await;
    assert!(rest.resumed && rest.finished, "{rest:?}");
    assert_eq!(rest.generation, first.generation);
    let resumed = stored(&app).await;
    let missed: Vec<_> = truth.difference(&resumed).collect();
    let extra: Vec<_> = resumed.difference(&truth).collect();
    assert!(missed.is_empty(), "planted but not found: {missed:?}");
    assert!(extra.is_empty(), "found but not planted: {extra:?}");
    assert_eq!(rest.alerts as usize, truth.len());

    // A fresh, uninterrupted run finds the same.
    let whole = screen(&app, None).await;
    assert!(!whole.resumed && whole.finished);
    assert_eq!(whole.generation, first.generation + 1);
    assert_eq!(stored(&app).await, truth);
    cluster.stop().await;
}

/// The village the index places an alert's resident in.
async fn village_of(app: &TestApp, alert: &Value) -> String {
    let id = alert["resident"]["id"].as_str().unwrap();
    residents::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .village_code
}

async fn alerts_as(app: &TestApp, token: &str, region: &str) -> (Vec<Value>, Vec<String>) {
    let query = format!(
        r#"{{ alerts(region: "{region}", first: 100) {{ totalCount nodes {{ kind departments checkedAt live facts {{ department fact }} resident {{ id village {{ code }} }} }} }} }}"#
    );
    let response = app
        .graphql_owned(query)
        .bearer(token)
        .purpose("VISIT")
        .send()
        .await;
    let nodes = response.data()["alerts"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (nodes, response.error_codes())
}

#[tokio::test]
async fn each_role_sees_the_alerts_the_matrix_allows() {
    let (app, cluster) = spawn_township().await;
    screen(&app, None).await;
    let all = stored(&app).await;

    let admin = app.token(Role::Admin, "22");
    let (nodes, errors) = alerts_as(&app, &admin, TOWNSHIP).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(nodes.len().min(100), all.len().min(100));
    assert!(
        nodes
            .iter()
            .all(|n| n["live"] == false && n["checkedAt"].is_string())
    );

    // A village assistant: their village's alerts only, every one of them. (The index
    // says where each resident lives: a listing withholds a child's village.)
    let village = village_of(&app, &nodes[0]).await;
    let in_village = {
        let mut count = 0;
        for (resident, _) in &all {
            if residents::find(&app.db, resident)
                .await
                .unwrap()
                .unwrap()
                .village_code
                == village
            {
                count += 1;
            }
        }
        count
    };
    let assistant = app.token(Role::VillageAssistant, &village);
    let (nodes, errors) = alerts_as(&app, &assistant, TOWNSHIP).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(nodes.len(), in_village.min(100));
    for node in &nodes {
        assert_eq!(village_of(&app, node).await, village);
    }

    // Police: expired ID cards only.
    let police = app.token(Role::Police, TOWNSHIP);
    let (nodes, _) = alerts_as(&app, &police, TOWNSHIP).await;
    let expected = all.iter().filter(|(_, k)| k == "ID_CARD_EXPIRED").count();
    assert_eq!(nodes.len(), expected.min(100));
    assert!(nodes.iter().all(|n| n["kind"] == "ID_CARD_EXPIRED"));

    // A civil-affairs clerk: alerts involving civil affairs only.
    let clerk = app.token_with(
        Role::DepartmentClerk,
        "220122",
        Some(Department::CivilAffairs),
    );
    let (nodes, _) = alerts_as(&app, &clerk, TOWNSHIP).await;
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| {
        n["departments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "civil_affairs")
    }));
    assert!(nodes.iter().all(|n| n["kind"] != "PENSION_CERT_OVERDUE"));

    // A dashboard: none.
    let dashboard = app.token(Role::Dashboard, "22");
    let (nodes, errors) = alerts_as(&app, &dashboard, TOWNSHIP).await;
    assert!(nodes.is_empty());
    assert_eq!(errors, vec!["FORBIDDEN"]);

    // residents(filter: { alertKind }) lists the residents the run found, and a
    // resident's live alerts agree with the stored ones.
    let expired: BTreeSet<String> = all
        .iter()
        .filter(|(_, k)| k == "ID_CARD_EXPIRED")
        .map(|(id, _)| id.clone())
        .collect();
    let response = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}", first: 100, filter: {{ alertKind: ID_CARD_EXPIRED }}) {{ nodes {{ id alerts {{ kind live facts {{ department }} }} }} }} }}"#
        ))
        .bearer(&police)
        .purpose("VISIT")
        .send()
        .await;
    assert!(response.error_codes().is_empty(), "{:?}", response.body);
    let listed = response.data()["residents"]["nodes"].as_array().unwrap();
    let ids: BTreeSet<String> = listed
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, expired.iter().take(100).cloned().collect());
    for node in listed {
        let kinds: Vec<&Value> = node["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["kind"])
            .collect();
        assert_eq!(kinds, vec!["ID_CARD_EXPIRED"], "{node}");
    }
    let response = app
        .graphql_owned(format!(
            r#"{{ residents(region: "{TOWNSHIP}", first: 5, filter: {{ alertKind: NAME_MISMATCH }}) {{ nodes {{ id }} }} }}"#
        ))
        .bearer(&police)
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(response.data()["residents"]["nodes"], serde_json::json!([]));

    // Live alerts of an admin equal the stored ones, resident by resident.
    let (resident, _) = all.iter().next().unwrap().clone();
    let response = app
        .graphql_owned(format!(
            r#"{{ resident(id: "{resident}") {{ alerts {{ kind live }} }} }}"#
        ))
        .bearer(&admin)
        .purpose("VISIT")
        .send()
        .await;
    let live: BTreeSet<String> = response.data()["resident"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|(id, _)| *id == resident)
        .map(|(_, k)| k.clone())
        .collect();
    assert_eq!(live, expected);
    cluster.stop().await;
}

#[tokio::test]
async fn interactive_reads_are_served_while_a_run_holds_its_share_and_backs_off() {
    let (app, cluster) = spawn_township().await;
    // Medical insurance answers slowly and takes 16 calls at once; social security
    // allows few calls a second and answers 429 beyond.
    cluster
        .knobs(cunhub::sim::Department::MedicalInsurance)
        .unwrap()
        .patch(&serde_json::json!({ "latency_ms": 5, "max_in_flight": 16 }))
        .unwrap();
    cluster
        .knobs(cunhub::sim::Department::SocialSecurity)
        .unwrap()
        .patch(&serde_json::json!({ "rate_limit_per_sec": 4 }))
        .unwrap();
    let truth = planted(&app, &cluster).await;
    let run = {
        let mut app_settings = app.settings.clone();
        // No retries inside the adapter: the run itself sees the 429s and backs off.
        app_settings.departments.social_security.retries = Some(0);
        let db = app.db.clone();
        tokio::spawn(async move {
            let vault = IdVault::from_settings(&app_settings.privacy).unwrap();
            let departments = Departments::new(&app_settings.departments).unwrap();
            let screener = Screener {
                db: &db,
                vault: &vault,
                departments: &departments,
                department_settings: &app_settings.departments,
                settings: &app_settings.screening,
            };
            let options = RunOptions {
                max_villages: None,
                today: Some(today()),
            };
            screener
                .run(&RegionCode::parse(TOWNSHIP).unwrap(), &options, |_| {})
                .await
        })
    };
    let assistant = app.token(Role::TownshipOfficer, TOWNSHIP);
    let mut slowest = Duration::ZERO;
    let mut reads = 0;
    while !run.is_finished() && reads < 20 {
        let started = Instant::now();
        let response = app
            .graphql_owned(format!(
                r#"{{ residents(region: "{TOWNSHIP}", first: 5, after: null) {{ nodes {{ name medicalInsurance {{ enrolments {{ status }} }} }} }} }}"#
            ))
            .bearer(&assistant)
            .purpose("VISIT")
            .send()
            .await;
        slowest = slowest.max(started.elapsed());
        assert!(
            response.error_codes().is_empty(),
            "an interactive read failed during a run: {:?}",
            response.body
        );
        reads += 1;
    }
    let report = run.await.unwrap().unwrap();
    assert!(reads > 0);
    assert!(
        slowest < Duration::from_millis(1500),
        "interactive reads took {slowest:?}"
    );
    let medical = &report.lanes[0];
    assert!(medical.peak_in_flight <= u64::from(medical.allowed_in_flight));
    assert_eq!(medical.allowed_in_flight, 8);
    let social = &report.lanes[1];
    assert!(social.backoffs > 0, "{social:?}");
    // The medical platform never saw more than its own limit, and the findings are exact
    // despite the 429s.
    let seen = cluster
        .knobs(cunhub::sim::Department::MedicalInsurance)
        .unwrap()
        .stats();
    assert!(seen.max_in_flight_seen <= 16);
    assert_eq!(stored(&app).await, truth);
    cluster.stop().await;
}
