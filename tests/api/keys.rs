//! Keys that rotate: `cunhub keys rotate` moves every resident to the current encryption
//! and lookup key versions without changing an id, lookups work in the middle of it, a
//! rerun finishes an interrupted one; audit checkpoints signed under a retired key still
//! verify while the key is listed.

use std::collections::{BTreeMap, BTreeSet};

use base64::{Engine, engine::general_purpose::STANDARD};
use cunhub::{
    adapters::Departments,
    audit::{Actor, AuditEvent, AuditLog, CheckpointKey, sign_head},
    auth::Role,
    config::Settings,
    domain::RegionCode,
    screening::{RunOptions, Screener},
    store::{
        id_vault::IdVault,
        residents::{self, ResidentFilter},
    },
};
use entities::resident;
use sea_orm::EntityTrait;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{
    TOWNSHIP, TestApp, restart_with, spawn_app_with, spawn_hub_with_departments, sync, today,
};

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

fn secret(byte: u8) -> SecretString {
    SecretString::from(key(byte))
}

/// The keys the index is first sealed under: lookup and encryption version 1.
fn first_keys(settings: &mut Settings) {
    settings.privacy.lookup_key = Some(secret(11));
    settings.privacy.encryption_keys = BTreeMap::from([("1".to_owned(), secret(12))]);
    settings.audit.checkpoint_key = Some(secret(13));
}

/// Version 2 of both added; version 1 kept to find and open what is not rotated yet.
fn rotating_keys(settings: &mut Settings) {
    first_keys(settings);
    settings.privacy.lookup_keys = BTreeMap::from([("2".to_owned(), secret(21))]);
    settings
        .privacy
        .encryption_keys
        .insert("2".to_owned(), secret(22));
}

/// Only version 2: the old keys removed after the rotation.
fn second_keys(settings: &mut Settings) {
    settings.privacy.lookup_key = None;
    settings.privacy.lookup_keys = BTreeMap::from([("2".to_owned(), secret(21))]);
    settings.privacy.encryption_keys = BTreeMap::from([("2".to_owned(), secret(22))]);
    settings.audit.checkpoint_key = Some(secret(13));
}

/// The environment that gives the binary [`rotating_keys`].
const ROTATING_ENV: &[(&str, &str)] = &[
    (
        "CUNHUB_PRIVACY_LOOKUP_KEY",
        "CwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws=",
    ),
    (
        "CUNHUB_PRIVACY_LOOKUP_KEYS",
        "{2=\"FRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRU=\"}",
    ),
    (
        "CUNHUB_PRIVACY_ENCRYPTION_KEYS",
        "{1=\"DAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=\",2=\"FhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhY=\"}",
    ),
    (
        "CUNHUB_AUDIT_CHECKPOINT_KEY",
        "DQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0=",
    ),
];

fn cunhub(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cunhub"));
    command
        .args(["--database-url", &app.settings.database.url])
        .args(args)
        .env_remove("CUNHUB_TEST_DATABASE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app
        .graphql(query)
        .variables(variables)
        .bearer(token)
        .purpose("VISIT")
        .send()
        .await;
    assert!(
        response.body["errors"].is_null(),
        "unexpected errors: {}",
        response.body
    );
    response.body["data"].clone()
}

const BY_NUMBER: &str = "query ($n: String!) { residentByIdNumber(idNumber: $n) { id name } }";

/// Resident id by ID number, through `residentByIdNumber`, for every synchronised person.
async fn ids_by_number(app: &TestApp, numbers: &[String]) -> BTreeMap<String, Value> {
    let admin = app.token(Role::Admin, "22");
    let mut found = BTreeMap::new();
    for number in numbers {
        let data = ok(app, &admin, BY_NUMBER, json!({ "n": number })).await;
        found.insert(number.clone(), data["residentByIdNumber"].clone());
    }
    found
}

/// (id, lookup key version, encryption key version) of every resident, by id.
async fn index(app: &TestApp) -> Vec<(String, i32, i32)> {
    let mut rows: Vec<_> = resident::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.lookup_key_version, r.key_version))
        .collect();
    rows.sort();
    rows
}

/// What a resident sees of their own work: their requests and visits, by id.
async fn own_work(app: &TestApp, village: &str, number: &str) -> Value {
    let token = app.token_for(Role::Resident, village, None, Some(number.to_owned()));
    let response = app
        .graphql(
            "{ serviceRequests { nodes { id resident { id } } }
               visits { nodes { id resident { id } } } }",
        )
        .bearer(token)
        .send()
        .await;
    assert!(response.body["errors"].is_null(), "{}", response.body);
    response.body["data"].clone()
}

/// Every alert of the township with the id of the resident it resolves to.
async fn alerts(app: &TestApp) -> Value {
    ok(
        app,
        &app.token(Role::Admin, "22"),
        &format!(
            r#"{{ alerts(region: "{TOWNSHIP}", first: 100) {{ nodes {{ id resident {{ id }} }} }} }}"#
        ),
        json!({}),
    )
    .await
}

#[tokio::test]
async fn rotating_both_keys_keeps_every_id_request_visit_alert_lookup_and_the_audit_chain() {
    let (app, cluster) = spawn_hub_with_departments(4, first_keys).await;
    let numbers: Vec<String> = cluster
        .population
        .people
        .iter()
        .map(|p| p.id_number.as_str().to_owned())
        .collect();
    let filter = ResidentFilter {
        region_prefix: TOWNSHIP.to_owned(),
        ..ResidentFilter::default()
    };
    let (all, _) = residents::page(&app.db, &filter, None, 10_000)
        .await
        .unwrap();
    assert!(all.len() >= 10, "a populated township");
    assert!(
        all.iter().all(|r| r.id.len() == 25
            && r.id.starts_with('R')
            && r.id[1..].chars().all(|c| c.is_ascii_hexdigit())),
        "ids are R and 24 hex characters"
    );

    // Work on one resident: a service request, a visit, alerts from a screening run.
    let vault = IdVault::from_settings(&app.settings.privacy).unwrap();
    let subject = &all[0];
    let subject_number = vault
        .open(&cunhub::store::id_vault::Sealed {
            key_version: 1,
            ciphertext: subject.id_cipher.clone(),
        })
        .unwrap();
    let assistant = app.token(Role::VillageAssistant, &subject.village_code);
    let opened = ok(
        &app,
        &assistant,
        "mutation ($input: OpenServiceRequestInput!) {
           openServiceRequest(input: $input) { request { id resident { id } } } }",
        json!({ "input": {
            "idempotencyKey": "rotate-open-0001",
            "residentId": subject.id,
            "catalogueCode": "JL-MZ-006",
            "mode": "IN_VILLAGE",
            "description": "needs help with an application",
        }}),
    )
    .await;
    let request_id = opened["openServiceRequest"]["request"]["id"].clone();
    ok(
        &app,
        &assistant,
        "mutation ($input: RecordVisitInput!) { recordVisit(input: $input) { visit { id } } }",
        json!({ "input": {
            "idempotencyKey": "rotate-visit-0001",
            "id": "rotate-visit-0001",
            "residentId": subject.id,
            "keyGroup": "ELDERLY_LIVING_ALONE",
            "visitedOn": today().to_string(),
            "findings": "独居，身体尚可",
        }}),
    )
    .await;
    let departments = Departments::new(&app.settings.departments).unwrap();
    let report = Screener {
        db: &app.db,
        vault: &vault,
        departments: &departments,
        department_settings: &app.settings.departments,
        settings: &app.settings.screening,
    }
    .run(
        &RegionCode::parse(TOWNSHIP).unwrap(),
        &RunOptions {
            max_villages: None,
            today: Some(today()),
        },
        |_| {},
    )
    .await
    .unwrap();
    assert!(report.alerts > 0, "screening found alerts");

    // The state before: ids by number, the resident's own work, alerts, the audit log.
    let before_ids = ids_by_number(&app, &numbers).await;
    let before_index = index(&app).await;
    assert_eq!(
        before_ids.values().filter(|found| !found.is_null()).count(),
        before_index.len(),
        "every resident of the index is found by their number"
    );
    let before_own = own_work(&app, &subject.village_code, &subject_number).await;
    assert_eq!(
        before_own["serviceRequests"]["nodes"][0]["id"], request_id,
        "{before_own}"
    );
    assert_eq!(
        before_own["visits"]["nodes"][0]["resident"]["id"],
        subject.id.as_str()
    );
    let before_alerts = alerts(&app).await;
    assert!(
        !before_alerts["alerts"]["nodes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let checkpoint_key = CheckpointKey::from_settings(&app.settings.audit).unwrap();
    sign_head(&app.db, &checkpoint_key).await.unwrap();

    // Version 2 of both keys added; an interrupted rotation does five residents.
    let partial = cunhub(
        &app,
        &["keys", "rotate", "--max-residents", "5", "--page-size", "2"],
        ROTATING_ENV,
    );
    assert!(
        partial.status.success(),
        "{}",
        String::from_utf8_lossy(&partial.stderr)
    );
    let stdout = String::from_utf8_lossy(&partial.stdout);
    let remain = before_index.len() - 5;
    assert!(
        stdout.contains("5 residents rotated") && stdout.contains(&format!("{remain} remain")),
        "{stdout}"
    );
    let middle = index(&app).await;
    let counts = |rows: &[(String, i32, i32)], v: (i32, i32)| {
        rows.iter().filter(|r| (r.1, r.2) == v).count()
    };
    assert_eq!(
        (counts(&middle, (2, 2)), counts(&middle, (1, 1))),
        (5, remain)
    );

    // In the middle of the rotation every number is still found, under its own id, and a
    // re-synchronisation adds nobody.
    let app = restart_with(app, rotating_keys).await;
    assert_eq!(ids_by_number(&app, &numbers).await, before_ids);
    let again = sync(&app, TOWNSHIP).await;
    assert_eq!((again.added, again.changed), (0, 0));
    assert_eq!(index(&app).await.len(), before_index.len());

    // The rerun finishes it.
    let rest = cunhub(&app, &["keys", "rotate"], ROTATING_ENV);
    assert!(
        rest.status.success(),
        "{}",
        String::from_utf8_lossy(&rest.stderr)
    );
    let stdout = String::from_utf8_lossy(&rest.stdout);
    assert!(
        stdout.contains(&format!("{remain} residents rotated"))
            && stdout.contains("older keys can be removed"),
        "{stdout}"
    );
    let after_index = index(&app).await;
    assert_eq!(counts(&after_index, (2, 2)), before_index.len());
    let ids = |rows: &[(String, i32, i32)]| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&after_index), ids(&before_index), "no id changed");

    // The old keys removed: everything as before.
    let app = restart_with(app, second_keys).await;
    assert_eq!(ids_by_number(&app, &numbers).await, before_ids);
    assert_eq!(
        own_work(&app, &subject.village_code, &subject_number).await,
        before_own
    );
    assert_eq!(alerts(&app).await, before_alerts);
    let admin = app.token(Role::Admin, "22");
    let request = ok(
        &app,
        &admin,
        "query ($id: ID!) { serviceRequest(id: $id) { id resident { id name } } }",
        json!({ "id": request_id }),
    )
    .await;
    assert_eq!(
        request["serviceRequest"]["resident"]["id"],
        subject.id.as_str()
    );
    assert_eq!(
        request["serviceRequest"]["resident"]["name"],
        subject.name.as_str()
    );
    let again = sync(&app, TOWNSHIP).await;
    assert_eq!((again.added, again.changed), (0, 0));
    let new_vault = IdVault::from_settings(&app.settings.privacy).unwrap();
    let row = residents::find(&app.db, &subject.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        new_vault
            .open(&cunhub::store::id_vault::Sealed {
                key_version: 2,
                ciphertext: row.id_cipher,
            })
            .unwrap(),
        subject_number
    );
    let verified = cunhub(
        &app,
        &["audit", "verify"],
        &[(
            "CUNHUB_AUDIT_CHECKPOINT_KEY",
            "DQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0=",
        )],
    );
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && stdout.contains("audit chain intact"),
        "{stdout}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // Nothing but the two versions' worth of rows was touched.
    let nothing = cunhub(&app, &["keys", "rotate"], ROTATING_ENV);
    assert!(String::from_utf8_lossy(&nothing.stdout).contains("0 residents rotated"));
}

#[tokio::test]
async fn an_unopenable_number_stops_the_rotation_naming_the_resident_and_version() {
    let (app, _cluster) = spawn_hub_with_departments(1, first_keys).await;
    // Encryption version 1 removed too early.
    let output = cunhub(
        &app,
        &["keys", "rotate"],
        &[
            ("CUNHUB_PRIVACY_LOOKUP_KEY", ROTATING_ENV[0].1),
            (
                "CUNHUB_PRIVACY_ENCRYPTION_KEYS",
                "{2=\"FhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhY=\"}",
            ),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("encryption key version 1")
            && stderr.contains("run the same command again"),
        "{stderr}"
    );
    let untouched: BTreeSet<_> = index(&app).await.into_iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(untouched, BTreeSet::from([(1, 1)]));
}

fn actor(n: usize) -> Actor {
    Actor {
        subject: format!("user-{n}"),
        role: "village_assistant".into(),
        region: "220122101201".into(),
        purpose: Some("SERVICE_HANDLING".into()),
        case_ref: None,
        request_id: format!("req-{n}"),
    }
}

#[tokio::test]
async fn checkpoints_under_a_retired_key_verify_while_the_settings_list_it() {
    let app = spawn_app_with(|_| {}).await;
    let log = AuditLog::spawn(app.db.clone());
    let old = CheckpointKey::new(1, &[31; 32]).unwrap();
    let new = CheckpointKey::new(2, &[32; 32]).unwrap();
    for (i, key) in [(0, &old), (1, &old), (2, &new)] {
        log.record(vec![AuditEvent::resident_read(
            &actor(i),
            "r",
            vec![],
            vec![],
        )])
        .await
        .unwrap();
        sign_head(&app.db, key).await.unwrap();
    }
    let current = [
        ("CUNHUB_AUDIT_CHECKPOINT_KEY", key(32)),
        ("CUNHUB_AUDIT_CHECKPOINT_KEY_VERSION", "2".to_owned()),
    ];
    let env = |extra: Option<(&'static str, String)>| {
        current.iter().cloned().chain(extra).collect::<Vec<_>>()
    };
    let run = |env: Vec<(&'static str, String)>| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        cunhub(&app, &["audit", "verify"], &env)
    };
    let retired = (
        "CUNHUB_AUDIT_RETIRED_CHECKPOINT_KEYS",
        format!("{{1=\"{}\"}}", key(31)),
    );
    let listed = run(env(Some(retired)));
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success()
            && stdout.contains("3 checkpoints verify")
            && stdout.contains("retired versions 1"),
        "{stdout}{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let unlisted = run(env(None));
    assert!(!unlisted.status.success());
    let stderr = String::from_utf8_lossy(&unlisted.stderr);
    assert!(
        stderr.contains("checkpoint 1") && stderr.contains("key version 1, which has no key"),
        "{stderr}"
    );
    // A retired key listed under the wrong version does not verify either.
    let wrong = run(env(Some((
        "CUNHUB_AUDIT_RETIRED_CHECKPOINT_KEYS",
        format!("{{1=\"{}\"}}", key(33)),
    ))));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("does not verify"));
}

#[tokio::test]
async fn resident_ids_are_random_and_say_nothing_of_the_number() {
    let (app, cluster) = spawn_hub_with_departments(2, first_keys).await;
    // A second index of the same register under the same keys.
    let twin = spawn_app_with(|s| {
        s.departments = app.settings.departments.clone();
        first_keys(s);
    })
    .await;
    sync(&twin, TOWNSHIP).await;
    let vault = IdVault::from_settings(&app.settings.privacy).unwrap();
    let mut compared = 0;
    for person in &cluster.population.people {
        let hashes = vault.lookup_hashes(person.id_number.as_str());
        let find = |db| residents::find_by_lookup_hashes(db, &hashes);
        let (Some(one), Some(other)) =
            (find(&app.db).await.unwrap(), find(&twin.db).await.unwrap())
        else {
            continue;
        };
        assert_ne!(one.id, other.id, "an id is not derived from the number");
        assert!(!hashes[0].hash.contains(&one.id[1..]));
        compared += 1;
    }
    assert!(compared >= 10, "{compared}");
}
