//! The access matrix, proved from the policy itself: for every role and every field
//! group, a real HTTP query shows read, masked, status-only or withheld exactly as the
//! policy says — once with the built-in policy, once with a modified policy file.

use std::path::Path;

use cunhub::{
    auth::{Principal, Role},
    domain::{Department, RegionCode},
    policy::{FieldGroup, MATRIX_ROLES, Policy, Subject, Visibility},
    sim::{SimCluster, population::Registration},
};
use serde_json::{Value, json};

use crate::helpers::{TOWNSHIP, TestApp, spawn_app_with, spawn_hub_with_departments};

/// One field (or more) of every field group, and how the caller sees each group.
const FIELDS: &str = "id name idNumber phone household { number }
    medicalInsurance { enrolments { status accountBalance } assistanceIdentities { kind } }
    socialInsurance { schemes { kind } disclosure }
    pension { monthlyAmount lastCertifiedOn disclosure }
    employment { status trainings { course } disclosure }
    assistance { programmes { programme householdSize monthlyAmount } }
    householdRegistration { status registeredAddress }
    veteran { category inDifficulty preferentialCard { status cardNumber } disclosure }
    familyDoctor { status clinic { name } disclosure }
    povertyMonitoring { kind assistance { kind } }
    disclosure { group disclosure }";

/// The root lookup of a household by its number, which must obey the same rules.
const HOUSEHOLD: &str =
    r#"query($h: String!) { household(number: $h) { number members { name } } }"#;

fn view_query() -> String {
    format!("query($n: String!) {{ residentByIdNumber(idNumber: $n) {{ {FIELDS} }} }}")
}

/// The names of the members of a resident's household.
const MEMBERS: &str =
    r#"query($n: String!) { residentByIdNumber(idNumber: $n) { household { members { name } } } }"#;

/// A resident as `token` sees them, and the field groups the response says it withheld;
/// with `household`, also the members' names and that household as the root
/// `household(number:)` query shows it to the same caller (under `householdByNumber`).
/// Those are asked apart, so that the withheld groups are the resident's own: a child
/// among the members follows the minors rule, which has its own test.
async fn read(
    app: &TestApp,
    token: &str,
    id_number: &str,
    household: Option<&str>,
) -> (Value, Vec<String>) {
    let response = app
        .graphql_owned(view_query())
        .variables(json!({ "n": id_number }))
        .bearer(token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    let mut seen = response.data()["residentByIdNumber"].clone();
    let withheld = withheld_groups(&response.body);
    if let Some(number) = household {
        let ask = |query: &'static str, variables: Value| {
            app.graphql(query)
                .variables(variables)
                .bearer(token)
                .purpose("SERVICE_HANDLING")
                .send()
        };
        let members = ask(MEMBERS, json!({ "n": id_number })).await;
        assert!(members.body.get("errors").is_none(), "{}", members.body);
        if !seen["household"].is_null() {
            seen["household"]["members"] =
                members.data()["residentByIdNumber"]["household"]["members"].clone();
        }
        let by_number = ask(HOUSEHOLD, json!({ "h": number })).await;
        assert!(by_number.body.get("errors").is_none(), "{}", by_number.body);
        seen["householdByNumber"] = by_number.data()["household"].clone();
    }
    (seen, withheld)
}

async fn view(app: &TestApp, token: &str, id_number: &str) -> Value {
    let first = read(app, token, id_number, None).await.0;
    let household = first["household"]["number"].as_str().map(str::to_owned);
    read(app, token, id_number, household.as_deref()).await.0
}

fn withheld_groups(body: &Value) -> Vec<String> {
    body["extensions"]["withheldFieldGroups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .map(|g| g.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The group whose object carries `group`: withheld with it, it is never asked about.
fn parent(group: FieldGroup) -> Option<FieldGroup> {
    match group {
        FieldGroup::MedicalAssistance => Some(FieldGroup::MedicalInsurance),
        FieldGroup::AssistanceAmounts => Some(FieldGroup::AssistanceProgrammes),
        FieldGroup::RegisteredAddress => Some(FieldGroup::RegistrationStatus),
        FieldGroup::VeteranCare => Some(FieldGroup::VeteranStatus),
        _ => None,
    }
}

fn disclosure_word(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Read => "FULL",
        Visibility::Masked => "MASKED",
        Visibility::StatusOnly => "STATUS_ONLY",
        Visibility::CertificationDateOnly => "CERTIFICATION_DATE_ONLY",
        Visibility::Withheld => "WITHHELD",
    }
}

/// The response agrees with `expected` for every group: each value as observed against
/// the full view, the object's `disclosure`, and `extensions.withheldFieldGroups`.
fn shows_as_expected(
    who: &str,
    seen: &Value,
    withheld: &[String],
    full: &Value,
    expected: impl Fn(FieldGroup) -> Visibility,
) {
    // A group the resident has no record of in its department shows null to everyone:
    // it is proved on residents who have one (`declared_subjects`).
    for group in FieldGroup::ALL.into_iter().filter(|g| observable(*g, full)) {
        assert_eq!(
            observe(group, seen, full),
            expected(group),
            "{who}: {}",
            group.as_str()
        );
    }
    let disclosed: Vec<Value> = FieldGroup::ALL
        .into_iter()
        .filter(|g| expected(*g) != Visibility::Read)
        .map(|g| json!({ "group": g.as_str().to_uppercase(), "disclosure": disclosure_word(expected(g)) }))
        .collect();
    assert_eq!(seen["disclosure"], json!(disclosed), "{who}: disclosure");
    let listed: Vec<String> = FieldGroup::ALL
        .into_iter()
        .filter(|g| expected(*g) == Visibility::Withheld)
        .filter(|g| parent(*g).is_none_or(|p| expected(p) != Visibility::Withheld))
        .map(|g| g.as_str().to_owned())
        .collect();
    let mut withheld = withheld.to_vec();
    withheld.sort();
    let mut listed = listed;
    listed.sort();
    assert_eq!(withheld, listed, "{who}: withheldFieldGroups");
}

/// A resident every group of whose record has something to show, as they see it
/// themselves (a resident reads every group of their own record, whatever the policy).
async fn subject(app: &TestApp, cluster: &SimCluster) -> (String, String, Value) {
    let population = &cluster.population;
    for person in population.people.iter().filter(|p| {
        matches!(p.registration, Registration::Normal)
            && p.medical.is_some()
            && p.social.is_some()
            && !p.assistance.is_empty()
    }) {
        let village = population.village_of(person).code.to_string();
        let own = app.token_for(
            Role::Resident,
            &village,
            None,
            Some(person.id_number.as_str().to_owned()),
        );
        let full = view(app, &own, person.id_number.as_str()).await;
        let complete = full["pension"]["lastCertifiedOn"].is_string()
            && full["pension"]["monthlyAmount"].is_number()
            && full["assistance"]["programmes"][0]["householdSize"].is_number()
            && full["assistance"]["programmes"][0]["monthlyAmount"]
                .as_f64()
                .is_some_and(|a| a > 0.0)
            && full["phone"].is_string()
            && full["medicalInsurance"]["enrolments"][0]["accountBalance"].is_number()
            && full["employment"]["trainings"].is_array();
        if complete {
            return (person.id_number.as_str().to_owned(), village, full);
        }
    }
    panic!("no resident with every group filled in this township");
}

fn same_or_masked(seen: &Value, full: &Value) -> Visibility {
    if seen.is_null() {
        Visibility::Withheld
    } else if seen == full {
        Visibility::Read
    } else if seen.as_str().is_some_and(|s| s.contains('*')) {
        Visibility::Masked
    } else {
        panic!("{seen} is neither {full} nor masked")
    }
}

/// The one verdict of a group seen in several places; places that disagree fail.
fn agreed(group: FieldGroup, verdicts: Vec<Visibility>) -> Visibility {
    match verdicts.split_first() {
        Some((first, rest)) if rest.iter().all(|v| v == first) => *first,
        _ => panic!("{} shows differently: {verdicts:?}", group.as_str()),
    }
}

/// The resident's name and the head of household's name in each household view shown
/// (the head, an adult: a child member of a list follows the minors rule instead).
fn names(seen: &Value, full: &Value) -> Vec<Visibility> {
    let mut verdicts = vec![same_or_masked(&seen["name"], &full["name"])];
    for household in ["household", "householdByNumber"] {
        if seen[household]["members"].is_array() {
            verdicts.push(same_or_masked(
                &seen[household]["members"][0]["name"],
                &full[household]["members"][0]["name"],
            ));
        }
    }
    verdicts
}

/// What a response shows of `group`, judged against the full (own) view.
fn observe(group: FieldGroup, seen: &Value, full: &Value) -> Visibility {
    use Visibility::*;
    let present = |v: &Value| if v.is_null() { Withheld } else { Read };
    match group {
        FieldGroup::Identity => agreed(group, names(seen, full)),
        FieldGroup::IdNumber => same_or_masked(&seen["idNumber"], &full["idNumber"]),
        FieldGroup::Phone => same_or_masked(&seen["phone"], &full["phone"]),
        FieldGroup::HouseholdMembers => {
            let mut verdicts = vec![present(&seen["household"])];
            if let Some(by_number) = seen.get("householdByNumber") {
                verdicts.push(present(by_number));
            }
            agreed(group, verdicts)
        }
        FieldGroup::MedicalInsurance => match &seen["medicalInsurance"] {
            Value::Null => Withheld,
            m if m["enrolments"][0]["accountBalance"].is_null() => StatusOnly,
            _ => Read,
        },
        FieldGroup::MedicalAssistance => present(&seen["medicalInsurance"]["assistanceIdentities"]),
        FieldGroup::SocialInsurance => match seen["socialInsurance"]["disclosure"].as_str() {
            None => Withheld,
            Some("STATUS_ONLY") => StatusOnly,
            Some(_) => Read,
        },
        FieldGroup::Pension => match &seen["pension"] {
            Value::Null => Withheld,
            p if p["monthlyAmount"].is_number() => Read,
            p if p["disclosure"] == "STATUS_ONLY" => StatusOnly,
            _ => CertificationDateOnly,
        },
        FieldGroup::AssistanceProgrammes => match &seen["assistance"] {
            Value::Null => Withheld,
            a if a["programmes"][0]["householdSize"].is_null() => StatusOnly,
            _ => Read,
        },
        FieldGroup::AssistanceAmounts => {
            present(&seen["assistance"]["programmes"][0]["monthlyAmount"])
        }
        FieldGroup::Employment => match &seen["employment"] {
            Value::Null => Withheld,
            e if e["trainings"].is_null() && e["disclosure"] == "STATUS_ONLY" => StatusOnly,
            e if e["trainings"].is_array() && e["disclosure"] == "FULL" => Read,
            e => panic!("employment neither full nor status only: {e}"),
        },
        FieldGroup::RegistrationStatus => present(&seen["householdRegistration"]["status"]),
        FieldGroup::VeteranStatus => match seen["veteran"]["disclosure"].as_str() {
            None => Withheld,
            Some("STATUS_ONLY") if seen["veteran"]["preferentialCard"]["cardNumber"].is_null() => {
                StatusOnly
            }
            Some("FULL") => Read,
            Some(other) => panic!("veteran shown as {other}"),
        },
        FieldGroup::VeteranCare => present(&seen["veteran"]["inDifficulty"]),
        FieldGroup::FamilyDoctor => match seen["familyDoctor"]["disclosure"].as_str() {
            None => Withheld,
            Some("STATUS_ONLY") if seen["familyDoctor"]["clinic"].is_null() => StatusOnly,
            Some("FULL") if seen["familyDoctor"]["clinic"].is_object() => Read,
            Some(other) => panic!("family doctor shown as {other}"),
        },
        FieldGroup::PovertyMonitoring => present(&seen["povertyMonitoring"]),
        FieldGroup::RegisteredAddress => same_or_masked(
            &seen["householdRegistration"]["registeredAddress"],
            &full["householdRegistration"]["registeredAddress"],
        ),
    }
}

/// Residents with a record in each department declared by a definition file (a
/// veteran, a family-doctor contract, a place on the relapse-monitoring register), as
/// they see themselves.
async fn declared_subjects(app: &TestApp, cluster: &SimCluster) -> Vec<(String, String, Value)> {
    let population = &cluster.population;
    let adult = |p: &&cunhub::sim::population::Person| {
        matches!(p.registration, Registration::Normal) && p.id_number.age_on(china_today()) >= 18
    };
    let picks = [
        population
            .people
            .iter()
            .filter(adult)
            .find(|p| p.veteran.as_ref().is_some_and(|v| v.in_difficulty)),
        population
            .people
            .iter()
            .filter(adult)
            .find(|p| p.doctor.is_some()),
        population
            .people
            .iter()
            .filter(adult)
            .find(|p| p.poverty.is_some()),
    ];
    let mut subjects = Vec::new();
    for person in picks {
        let person = person.expect("a resident on each declared department's list");
        let village = population.village_of(person).code.to_string();
        let id_number = person.id_number.as_str().to_owned();
        let own = app.token_for(Role::Resident, &village, None, Some(id_number.clone()));
        let full = read(app, &own, &id_number, None).await.0;
        subjects.push((id_number, village, full));
    }
    assert!(subjects[0].2["veteran"]["inDifficulty"].is_boolean());
    assert!(subjects[1].2["familyDoctor"]["clinic"]["name"].is_string());
    assert!(subjects[2].2["povertyMonitoring"]["kind"].is_string());
    subjects
}

/// A token of every matrix role (a clerk of each department with an adapter) whose scope
/// covers `village`.
fn principals(village: &str) -> Vec<(Role, String, Option<Department>)> {
    let mut principals = vec![
        (Role::VillageAssistant, village.to_owned(), None),
        (Role::TownshipOfficer, TOWNSHIP.to_owned(), None),
        (Role::Police, TOWNSHIP.to_owned(), None),
        (Role::Admin, "22".to_owned(), None),
    ];
    for department in [
        Department::MedicalInsurance,
        Department::SocialSecurity,
        Department::CivilAffairs,
        Department::PublicSecurity,
        Department::VeteransAffairs,
        Department::Health,
        Department::Agriculture,
    ] {
        principals.push((Role::DepartmentClerk, "220122".to_owned(), Some(department)));
    }
    principals
}

async fn matrix_holds(policy_file: Option<&Path>) -> Vec<(String, Value)> {
    let file = policy_file.map(Path::to_path_buf);
    let (app, cluster) = spawn_hub_with_departments(20, move |s| s.access.policy_file = file).await;
    let policy = match policy_file {
        Some(path) => Policy::load(path).unwrap(),
        None => Policy::built_in().unwrap(),
    };
    let (id_number, village, full) = subject(&app, &cluster).await;
    let household = full["household"]["number"].as_str().unwrap().to_owned();
    let mut views = Vec::new();
    for (role, region, department) in principals(&village) {
        let token = app.token_with(role, &region, department);
        let (seen, withheld) = read(&app, &token, &id_number, Some(&household)).await;
        let principal = Principal {
            subject: "matrix".into(),
            role,
            region: RegionCode::parse(&region).unwrap(),
            department,
            id_number: None,
            client: None,
        };
        shows_as_expected(
            &format!("{role} {department:?}"),
            &seen,
            &withheld,
            &full,
            |group| policy.visibility(&principal, group, Subject::Adult),
        );
        views.push((format!("{role}{department:?}"), seen));
    }
    for (id_number, village, full) in declared_subjects(&app, &cluster).await {
        for (role, region, department) in principals(&village) {
            let token = app.token_with(role, &region, department);
            let (seen, withheld) = read(&app, &token, &id_number, None).await;
            let principal = Principal {
                subject: "matrix".into(),
                role,
                region: RegionCode::parse(&region).unwrap(),
                department,
                id_number: None,
                client: None,
            };
            shows_as_expected(
                &format!("{role} {department:?} of {village}"),
                &seen,
                &withheld,
                &full,
                |group| policy.visibility(&principal, group, Subject::Adult),
            );
        }
    }
    // A resident reads every group of their own record.
    let own = app.token_for(Role::Resident, &village, None, Some(id_number.clone()));
    let response = app
        .graphql_owned(view_query())
        .variables(json!({ "n": id_number }))
        .bearer(own)
        .send()
        .await;
    shows_as_expected(
        "own record",
        &response.data()["residentByIdNumber"],
        &withheld_groups(&response.body),
        &full,
        |_| Visibility::Read,
    );
    // Roles without personal data get none.
    for role in [Role::Dashboard, Role::Auditor] {
        let response = app
            .graphql_owned(view_query())
            .variables(json!({ "n": id_number }))
            .bearer(app.token(role, "22"))
            .purpose("AUDIT")
            .send()
            .await;
        assert_eq!(response.error_codes(), ["FORBIDDEN"], "{role}");
    }
    views
}

#[tokio::test]
async fn every_role_sees_its_row_of_the_built_in_matrix() {
    matrix_holds(None).await;
}

#[tokio::test]
async fn a_changed_policy_file_changes_what_roles_see_without_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    let text = Policy::built_in_text()
        .replacen("[roles.village_assistant]\nidentity = \"read\"\nid_number = \"masked\"", "[roles.village_assistant]\nidentity = \"read\"\nid_number = \"read\"", 1)
        .replacen("medical_insurance = \"read\"\nmedical_assistance = \"withheld\"\nsocial_insurance = \"read\"\npension = \"certification_date_only\"\nemployment = \"read\"\nassistance_programmes = \"read\"\nassistance_amounts = \"withheld\"",
                  "medical_insurance = \"status_only\"\nmedical_assistance = \"withheld\"\nsocial_insurance = \"read\"\npension = \"withheld\"\nemployment = \"status_only\"\nassistance_programmes = \"read\"\nassistance_amounts = \"read\"", 1)
        .replace("registered_address = \"read\"\nmedical", "registered_address = \"masked\"\nmedical")
        // Names masked for the township (on household members too), households withheld
        // from the police (looked up by number too).
        .replacen("[roles.township_officer]\nidentity = \"read\"", "[roles.township_officer]\nidentity = \"masked\"", 1)
        .replacen("[roles.police]\nidentity = \"read\"\nid_number = \"read\"\nphone = \"read\"\nhousehold_members = \"read\"",
                  "[roles.police]\nidentity = \"read\"\nid_number = \"read\"\nphone = \"read\"\nhousehold_members = \"withheld\"", 1);
    assert_ne!(text, Policy::built_in_text());
    std::fs::write(&path, &text).unwrap();
    let changed = Policy::load(&path).unwrap();
    let default = Policy::built_in().unwrap();
    assert_ne!(
        changed, default,
        "the test policy differs from the built-in one"
    );
    let views = matrix_holds(Some(&path)).await;
    let assistant = &views
        .iter()
        .find(|(who, _)| who.starts_with("village_assistant"))
        .unwrap()
        .1;
    assert!(
        !assistant["idNumber"].as_str().unwrap().contains('*'),
        "the file unmasked the ID number"
    );
    assert!(assistant["pension"].is_null());
    assert_eq!(assistant["employment"]["disclosure"], "STATUS_ONLY");
    let township = &views
        .iter()
        .find(|(who, _)| who.starts_with("township_officer"))
        .unwrap()
        .1;
    assert!(
        township["householdByNumber"]["members"][0]["name"]
            .as_str()
            .unwrap()
            .contains('*'),
        "the file masked names, household members' too"
    );
    let police = &views
        .iter()
        .find(|(who, _)| who.starts_with("police"))
        .unwrap()
        .1;
    assert!(
        police["householdByNumber"].is_null(),
        "the file withheld households, by number too"
    );
}

/// Every role with a token at every level of the division tree: accepted over HTTP and in
/// a socket's `connection_init` exactly where the policy's `[scope]` says, refused with
/// `REGION_LEVEL` (HTTP 401, close 4403) everywhere else.
async fn scope_levels_hold(policy_file: Option<&Path>) -> Policy {
    use crate::websocket::{next_json, open, send};
    let file = policy_file.map(Path::to_path_buf);
    let app = spawn_app_with(move |s| s.access.policy_file = file).await;
    let policy = match policy_file {
        Some(path) => Policy::load(path).unwrap(),
        None => Policy::built_in().unwrap(),
    };
    for role in Role::ALL {
        for code in ["22", "2201", "220122", TOWNSHIP, "220122101201"] {
            let region = RegionCode::parse(code).unwrap();
            let accepted = policy.scope_levels().check(role, &region).is_ok();
            let department = role
                .needs_department()
                .then_some(Department::SocialSecurity);
            let token = app.token_with(role, code, department);
            let response = app.graphql("{ __typename }").bearer(&token).send().await;
            if accepted {
                assert_eq!(response.status, 200, "{role} {code}: {}", response.body);
            } else {
                assert_eq!(response.status, 401, "{role} {code}");
                assert_eq!(response.error_codes(), ["INVALID_TOKEN"], "{role} {code}");
                assert_eq!(
                    response.body["errors"][0]["extensions"]["reason"], "REGION_LEVEL",
                    "{role} {code}"
                );
            }
            let mut socket = open(&app).await;
            send(
                &mut socket,
                json!({ "type": "connection_init", "payload": { "token": token } }),
            )
            .await;
            let answer = next_json(&mut socket).await;
            if accepted {
                assert_eq!(answer["type"], "connection_ack", "{role} {code}");
            } else {
                assert_eq!(answer["closed"], 4403, "{role} {code}");
            }
        }
    }
    policy
}

#[tokio::test]
async fn every_role_needs_a_region_at_its_level_in_the_built_in_policy() {
    let policy = scope_levels_hold(None).await;
    // The design's levels: the test above is no tautology.
    let level = |role, code| {
        policy
            .scope_levels()
            .check(role, &RegionCode::parse(code).unwrap())
            .is_ok()
    };
    assert!(!level(Role::VillageAssistant, "22"));
    assert!(!level(Role::VillageAssistant, TOWNSHIP));
    assert!(level(Role::VillageAssistant, "220122101201"));
    assert!(level(Role::TownshipOfficer, TOWNSHIP));
    assert!(!level(Role::TownshipOfficer, "220122"));
    assert!(level(Role::DepartmentClerk, "220122"));
    assert!(!level(Role::DepartmentClerk, "2201"));
    assert!(level(Role::Police, TOWNSHIP) && level(Role::Police, "220122"));
    assert!(!level(Role::Police, "220122101201"));
    for role in [
        Role::Resident,
        Role::Dashboard,
        Role::Integrator,
        Role::Auditor,
        Role::Admin,
    ] {
        assert!(level(role, "22") && level(role, "220122101201"), "{role}");
    }
}

#[tokio::test]
async fn a_changed_scope_section_changes_which_tokens_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    let text = Policy::built_in_text()
        .replacen(
            "village_assistant = [\"village\"]",
            "village_assistant = [\"village\", \"township\"]",
            1,
        )
        .replacen(
            "police = [\"township\", \"county\"]",
            "police = [\"county\"]",
            1,
        )
        .replacen("dashboard = \"any\"", "dashboard = [\"province\"]", 1);
    std::fs::write(&path, &text).unwrap();
    let policy = scope_levels_hold(Some(&path)).await;
    assert_ne!(policy, Policy::built_in().unwrap());
    assert!(
        policy
            .scope_levels()
            .check(
                Role::VillageAssistant,
                &RegionCode::parse(TOWNSHIP).unwrap()
            )
            .is_ok()
    );
    assert!(
        policy
            .scope_levels()
            .check(Role::Police, &RegionCode::parse(TOWNSHIP).unwrap())
            .is_err()
    );
}

/// The built-in policy as it was before `format = 2`.
const FORMAT_1: &str = "tests/fixtures/policy_format_1.toml";

#[tokio::test]
async fn an_older_format_file_still_loads_with_the_strictest_defaults() {
    let path = Path::new(FORMAT_1);
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains("format") && !text.contains("[scope]"));
    let policy = scope_levels_hold(Some(path)).await;
    let sections: Vec<&str> = policy.defaults().iter().map(|d| d.section).collect();
    assert_eq!(
        sections,
        [
            "employment in [roles.*]",
            "veteran_status in [roles.*]",
            "veteran_care in [roles.*]",
            "family_doctor in [roles.*]",
            "poverty_monitoring in [roles.*]",
            "[scope]",
            "[minors]"
        ]
    );
    // Every role's row holds with the defaults: employment withheld from everyone, and
    // a child's every group withheld.
    matrix_holds(Some(path)).await;
    minors_hold(Some(path)).await;
    for role in MATRIX_ROLES {
        let principal = Principal {
            subject: "older".into(),
            role,
            region: RegionCode::parse("22").unwrap(),
            department: role
                .needs_department()
                .then_some(Department::SocialSecurity),
            id_number: None,
            client: None,
        };
        assert_eq!(
            policy.visibility(&principal, FieldGroup::Employment, Subject::Adult),
            Visibility::Withheld,
            "{role}"
        );
    }
    // The narrowest of the design's levels: police one township, not a county.
    let level = |role, code| {
        policy
            .scope_levels()
            .check(role, &RegionCode::parse(code).unwrap())
            .is_ok()
    };
    assert!(level(Role::Police, TOWNSHIP) && !level(Role::Police, "220122"));
    assert!(!level(Role::VillageAssistant, "22"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cunhub"))
        .args(["policy", "check", FORMAT_1])
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("format 1"), "{printed}");
    assert!(
        printed.contains("the file lacks [scope]: the default gives")
            && printed.contains("police township"),
        "{printed}"
    );
}

#[test]
fn the_policy_check_command_explains_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        Policy::built_in_text().replace("id_number = \"masked\"", "id_number = \"blurred\""),
    )
    .unwrap();
    let exe = env!("CARGO_BIN_EXE_cunhub");
    let output = std::process::Command::new(exe)
        .arg("policy")
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("`blurred` is not read"));
    let good = dir.path().join("good.toml");
    std::fs::write(&good, Policy::built_in_text()).unwrap();
    let output = std::process::Command::new(exe)
        .arg("policy")
        .arg("check")
        .arg(&good)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("village_assistant"));
}

/// Today in China (UTC+8), the day a child's age counts on.
fn china_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive()
}

/// Whether the full view has something to show of `group` (a child draws no pension).
fn observable(group: FieldGroup, full: &Value) -> bool {
    match group {
        FieldGroup::Phone => full["phone"].is_string(),
        FieldGroup::MedicalInsurance => {
            full["medicalInsurance"]["enrolments"][0]["accountBalance"].is_number()
        }
        FieldGroup::MedicalAssistance => {
            full["medicalInsurance"]["assistanceIdentities"].is_array()
        }
        FieldGroup::SocialInsurance => full["socialInsurance"]["schemes"].is_array(),
        FieldGroup::Pension => full["pension"]["monthlyAmount"].is_number(),
        FieldGroup::Employment => full["employment"]["trainings"].is_array(),
        FieldGroup::AssistanceProgrammes => {
            full["assistance"]["programmes"][0]["householdSize"].is_number()
        }
        FieldGroup::AssistanceAmounts => full["assistance"]["programmes"][0]["monthlyAmount"]
            .as_f64()
            .is_some_and(|a| a > 0.0),
        FieldGroup::RegisteredAddress => {
            full["householdRegistration"]["registeredAddress"].is_string()
        }
        FieldGroup::VeteranStatus => full["veteran"]["category"].is_string(),
        FieldGroup::VeteranCare => full["veteran"]["inDifficulty"].is_boolean(),
        FieldGroup::FamilyDoctor => full["familyDoctor"]["clinic"].is_object(),
        FieldGroup::PovertyMonitoring => full["povertyMonitoring"]["kind"].is_string(),
        _ => true,
    }
}

/// As [`shows_as_expected`], for the groups a child's record has something in: the
/// values, the `disclosure` (every group), and the withheld groups listed (each listed
/// one withheld, each observable withheld one listed).
fn child_shows_as_expected(
    who: &str,
    seen: &Value,
    withheld: &[String],
    full: &Value,
    expected: impl Fn(FieldGroup) -> Visibility,
) {
    // A group inside a withheld object is never asked about.
    let effective = |g: FieldGroup| match parent(g) {
        Some(p) if expected(p) == Visibility::Withheld => Visibility::Withheld,
        _ => expected(g),
    };
    for group in FieldGroup::ALL.into_iter().filter(|g| observable(*g, full)) {
        assert_eq!(
            observe(group, seen, full),
            effective(group),
            "{who}: {}",
            group.as_str()
        );
    }
    let disclosed: Vec<Value> = FieldGroup::ALL
        .into_iter()
        .filter(|g| expected(*g) != Visibility::Read)
        .map(|g| json!({ "group": g.as_str().to_uppercase(), "disclosure": disclosure_word(expected(g)) }))
        .collect();
    assert_eq!(seen["disclosure"], json!(disclosed), "{who}: disclosure");
    for group in withheld {
        let group = FieldGroup::parse(group).unwrap();
        assert_eq!(
            expected(group),
            Visibility::Withheld,
            "{who}: listed {group:?}"
        );
    }
    for group in FieldGroup::ALL.into_iter().filter(|g| {
        observable(*g, full)
            && expected(*g) == Visibility::Withheld
            && parent(*g).is_none_or(|p| expected(p) != Visibility::Withheld)
    }) {
        assert!(
            withheld.iter().any(|w| w == group.as_str()),
            "{who}: {} not listed in {withheld:?}",
            group.as_str()
        );
    }
}

/// The minors rule, proved from the policy: a child under 14 read alone and in a listing
/// by every role, and their household read by a parent and by the village.
async fn minors_hold(policy_file: Option<&Path>) {
    let file = policy_file.map(Path::to_path_buf);
    let (app, cluster) = spawn_hub_with_departments(20, move |s| s.access.policy_file = file).await;
    let policy = match policy_file {
        Some(path) => Policy::load(path).unwrap(),
        None => Policy::built_in().unwrap(),
    };
    let population = &cluster.population;
    let today = china_today();
    let child = population
        .people
        .iter()
        .find(|p| {
            matches!(p.registration, Registration::Normal)
                && (1..=12).contains(&p.id_number.age_on(today))
        })
        .expect("a child in the township");
    let id_number = child.id_number.as_str().to_owned();
    let village = population.village_of(child).code.to_string();
    let own = app.token_for(Role::Resident, &village, None, Some(id_number.clone()));
    let full = view(&app, &own, &id_number).await;
    assert!(full["name"].is_string() && full["idNumber"] == id_number.as_str());
    let listing = format!(
        r#"{{ residents(region: "{village}", first: 60, filter: {{ maxAge: 13 }}) {{ nodes {{ {FIELDS} }} }} }}"#
    );
    for (role, region, department) in principals(&village) {
        let token = app.token_with(role, &region, department);
        let principal = Principal {
            subject: "minors".into(),
            role,
            region: RegionCode::parse(&region).unwrap(),
            department,
            id_number: None,
            client: None,
        };
        let who = format!("{role} {department:?}");
        let (seen, withheld) = read(&app, &token, &id_number, None).await;
        child_shows_as_expected(&format!("{who}, alone"), &seen, &withheld, &full, |g| {
            policy.visibility(&principal, g, Subject::Child)
        });
        let response = app
            .graphql_owned(listing.clone())
            .bearer(&token)
            .purpose("SERVICE_HANDLING")
            .send()
            .await;
        assert!(response.body.get("errors").is_none(), "{}", response.body);
        let listed = response.data()["residents"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == full["id"])
            .cloned()
            .unwrap_or_else(|| panic!("{who}: the child is listed"));
        child_shows_as_expected(
            &format!("{who}, in bulk"),
            &listed,
            &withheld_groups(&response.body),
            &full,
            |g| policy.visibility(&principal, g, Subject::ChildInBulk),
        );
    }
    // A parent reads their own household: the child by name and relationship.
    let household_query = r#"query($h: String!) { household(number: $h) {
        members { name relationshipToHead } } }"#;
    let household_number = full["household"]["number"].as_str().unwrap().to_owned();
    let parent = population
        .people
        .iter()
        .find(|p| {
            p.household == child.household
                && p.village == child.village
                && p.id_number.age_on(today) >= 18
        })
        .expect("a grown-up in the child's household");
    let parent_token = app.token_for(
        Role::Resident,
        &village,
        None,
        Some(parent.id_number.as_str().to_owned()),
    );
    let response = app
        .graphql(household_query)
        .variables(json!({ "h": household_number }))
        .bearer(parent_token)
        .send()
        .await;
    let members = response.data()["household"]["members"].as_array().unwrap();
    assert!(
        members.iter().any(|m| m["name"] == full["name"]),
        "the parent sees the child by name: {}",
        response.body
    );
    assert!(members.iter().all(|m| m["relationshipToHead"].is_string()));
    // The village reads the same household: the child's name as the bulk rule says.
    let assistant = Principal {
        subject: "minors".into(),
        role: Role::VillageAssistant,
        region: RegionCode::parse(&village).unwrap(),
        department: None,
        id_number: None,
        client: None,
    };
    let response = app
        .graphql(household_query)
        .variables(json!({ "h": household_number }))
        .bearer(app.token(Role::VillageAssistant, &village))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    let members = response.data()["household"]["members"].as_array().unwrap();
    assert!(
        !members.iter().any(|m| m["name"] == full["name"]),
        "{}",
        response.body
    );
    match policy.visibility(&assistant, FieldGroup::Identity, Subject::ChildInBulk) {
        Visibility::Withheld => {
            assert!(members.iter().any(|m| m["name"].is_null()));
            assert!(withheld_groups(&response.body).contains(&"identity".to_owned()));
        }
        _ => assert!(
            members
                .iter()
                .any(|m| m["name"].as_str().is_some_and(|n| n.contains('*')))
        ),
    }
}

#[tokio::test]
async fn a_child_under_14_is_seen_as_the_built_in_minors_rule_says() {
    minors_hold(None).await;
    // The built-in reading: the village sees a child masked alone, nothing in bulk.
    let policy = Policy::built_in().unwrap();
    let assistant =
        |subject| policy.decide(Role::VillageAssistant, None, FieldGroup::Identity, subject);
    assert_eq!(assistant(Subject::Adult), Visibility::Read);
    assert_eq!(assistant(Subject::Child), Visibility::Masked);
    assert_eq!(assistant(Subject::ChildInBulk), Visibility::Withheld);
    assert_eq!(
        policy.decide(Role::Police, None, FieldGroup::IdNumber, Subject::Child),
        Visibility::Read
    );
    assert_eq!(
        policy.decide(
            Role::DepartmentClerk,
            Some(Department::MedicalInsurance),
            FieldGroup::IdNumber,
            Subject::Child
        ),
        Visibility::Masked
    );
}

#[tokio::test]
async fn a_changed_minors_section_changes_what_roles_see_of_a_child() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    // The township sees a child's name in full alone, and a listing shows children masked
    // rather than withheld.
    let text = Policy::built_in_text()
        .replacen(
            "[minors]\nin_bulk = \"withheld\"",
            "[minors]\nin_bulk = \"masked\"",
            1,
        )
        .replacen(
            "[minors.roles.township_officer]\nidentity = \"masked\"",
            "[minors.roles.township_officer]\nidentity = \"read\"",
            1,
        );
    assert_ne!(text, Policy::built_in_text());
    std::fs::write(&path, &text).unwrap();
    let policy = Policy::load(&path).unwrap();
    let township =
        |subject| policy.decide(Role::TownshipOfficer, None, FieldGroup::Identity, subject);
    assert_eq!(township(Subject::Child), Visibility::Read);
    assert_eq!(township(Subject::ChildInBulk), Visibility::Masked);
    minors_hold(Some(&path)).await;
}
