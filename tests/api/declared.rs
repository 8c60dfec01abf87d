//! The departments declared by definition files, through the hub: one person's view
//! answered by all seven departments, a second system of a known kind connected by a
//! file and its settings alone, and `cunhub departments check`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use cunhub::auth::Role;
use cunhub::sim::population::Person;
use cunhub::sim::{Department as Sim, KnobHandle, Knobs, veterans};
use serde_json::json;

use crate::helpers::{spawn_hub_with_departments, today};

const SEVEN: &str = r#"query($n: String!) { residentByIdNumber(idNumber: $n) {
    name
    medicalInsurance { enrolments { scheme } }
    socialInsurance { schemes { kind } }
    assistance { programmes { programme } }
    householdRegistration { status }
    veteran { category preferentialCard { status } }
    familyDoctor { status clinic { name } }
    povertyMonitoring { kind risk }
} }"#;

/// How many of the seven departments hold a record of `person` (public security always).
fn known_by(person: &Person) -> usize {
    1 + [
        person.medical.is_some(),
        person.social.is_some(),
        !person.assistance.is_empty(),
        person.veteran.is_some(),
        person.doctor.is_some(),
        person.poverty.is_some(),
    ]
    .into_iter()
    .filter(|k| *k)
    .count()
}

#[tokio::test]
async fn one_persons_view_is_answered_by_all_seven_departments() {
    let (app, cluster) = spawn_hub_with_departments(40, |_| {}).await;
    let person = cluster
        .population
        .people
        .iter()
        .filter(|p| p.is_normal())
        .max_by_key(|p| known_by(p))
        .unwrap();
    let response = app
        .graphql(SEVEN)
        .variables(json!({ "n": person.id_number.as_str() }))
        .bearer(app.token(Role::Admin, "22"))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    let departments: BTreeMap<String, String> = response.body["extensions"]["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["department"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    let names: Vec<&str> = departments.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "agriculture",
            "civil_affairs",
            "health",
            "medical_insurance",
            "public_security",
            "social_security",
            "veterans_affairs"
        ]
    );
    assert!(departments.values().all(|o| o == "ok"), "{departments:?}");
    let seen = &response.data()["residentByIdNumber"];
    assert_eq!(seen["veteran"].is_object(), person.veteran.is_some());
    assert_eq!(seen["familyDoctor"].is_object(), person.doctor.is_some());
    assert_eq!(
        seen["povertyMonitoring"].is_object(),
        person.poverty.is_some()
    );
    assert_eq!(
        seen["medicalInsurance"].is_object(),
        person.medical.is_some()
    );
    assert!(
        known_by(person) >= 6,
        "the township has someone most departments know"
    );
}

/// The county platform's dialect: pinyin field names, its own key header and paging.
fn county_dialect() -> veterans::Dialect {
    let renames = [
        ("idCard", "sfzh"),
        ("name", "xm"),
        ("category", "rylb"),
        ("disabilityLevel", "cjdj"),
        ("dischargeYear", "tynf"),
        ("preferentialCard", "yfz"),
        ("cardNo", "zh"),
        ("issuedOn", "fzrq"),
        ("inDifficulty", "knbz"),
        ("lastVisitOn", "zfrq"),
        ("deceased", "swbz"),
        ("list", "records"),
        ("pageNum", "current"),
        ("pageSize", "size"),
    ];
    veterans::Dialect {
        prefix: "/api/tyjr".into(),
        key_header: "X-Token".into(),
        id_param: "sfzh".into(),
        renames: renames
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
        page_param: "current".into(),
        size_param: "size".into(),
        pages: false,
        date_format: "%Y-%m-%d".into(),
    }
}

#[tokio::test]
async fn a_second_veterans_platform_is_connected_by_a_definition_file_and_settings_alone() {
    use cunhub::sim::{GenOptions, SimCluster, SimOptions};
    let mut generation = GenOptions::new(
        cunhub::domain::RegionCode::parse(crate::helpers::TOWNSHIP).unwrap(),
        today(),
    );
    generation.people_per_village = 30;
    let cluster = SimCluster::start(SimOptions::new(generation))
        .await
        .unwrap();
    let county_knobs = KnobHandle::new(Knobs::default());
    let county = veterans::start(
        cluster.population.clone(),
        county_knobs.clone(),
        "county-key",
        county_dialect(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        1,
    )
    .unwrap();
    let county_url = county.base_url();
    let app = crate::helpers::spawn_app_with(|settings| {
        cluster.configure(&mut settings.departments);
        settings.departments.definitions_dir = Some("tests/fixtures/departments".into());
        let system = settings
            .departments
            .systems
            .entry("nongan_veterans".into())
            .or_default();
        system.base_url = county_url;
        system.api_key = Some(secrecy::SecretString::from("county-key"));
    })
    .await;
    crate::helpers::sync(&app, crate::helpers::TOWNSHIP).await;
    let veteran = cluster
        .population
        .people
        .iter()
        .find(|p| p.is_normal() && p.veteran.as_ref().is_some_and(|v| v.in_difficulty))
        .or_else(|| {
            cluster
                .population
                .people
                .iter()
                .find(|p| p.is_normal() && p.veteran.is_some())
        })
        .unwrap();
    let facts = veteran.veteran.as_ref().unwrap();
    let provincial = cluster.knobs(Sim::VeteransAffairs).unwrap();
    provincial.reset_stats();
    let response = app
        .graphql(
            r#"query($n: String!) { residentByIdNumber(idNumber: $n) {
                veteran { category inDifficulty lastVisitOn preferentialCard { status issuedOn } } } }"#,
        )
        .variables(json!({ "n": veteran.id_number.as_str() }))
        .bearer(app.token(Role::TownshipOfficer, crate::helpers::TOWNSHIP))
        .purpose("VISIT")
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    let seen = &response.data()["residentByIdNumber"]["veteran"];
    assert_eq!(seen["inDifficulty"], facts.in_difficulty);
    assert_eq!(
        seen["lastVisitOn"],
        json!(facts.last_visit.map(|d| d.format("%Y-%m-%d").to_string()))
    );
    // The county's platform answered; the province's was not asked.
    assert!(county_knobs.stats().requests >= 1);
    assert_eq!(provincial.stats().requests, 0);
    county.stop().await;
}

#[test]
fn departments_check_explains_every_mistake_and_describes_a_sound_file() {
    let exe = env!("CARGO_BIN_EXE_cunhub");
    let output = std::process::Command::new(exe)
        .args([
            "departments",
            "check",
            "tests/fixtures/departments-broken/broken_veterans.toml",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    for mistake in [
        "name: `Broken Veterans` must be lowercase",
        "department: `army` is not a department",
        "regions: `2201x` is not a division-code prefix",
        "auth.token_path: not used by auth kind `api_key`",
        "answer.code: `$.status[` is not a JSONPath",
        "errors.404: `missing` is not a meaning",
        "person[0]: `{idnumber}` is not known here",
        "fields.category.codes.01: `SOLDIER` is not a value of the field",
        "fields.card_status: a code field needs `codes`",
        "fields.card_issued_on: a date field needs `date`",
        "fields.rank: the view veteran has no field rank",
        "fields: the view veteran requires deceased (boolean), and nothing maps it",
    ] {
        assert!(said.contains(mistake), "`{mistake}` not in:\n{said}");
    }
    let output = std::process::Command::new(exe)
        .args([
            "departments",
            "check",
            "tests/fixtures/departments/nongan_veterans.toml",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("valid") && said.contains("veterans_affairs") && said.contains("220122"),
        "{said}"
    );
    let shown = std::process::Command::new(exe)
        .args(["departments", "show", "jilin_health"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("oauth2_client_credentials"));
}
