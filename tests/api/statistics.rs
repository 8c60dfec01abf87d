//! The `statistics` query: indicators against counts computed here from the simulators'
//! population (not from the rollup code), suppression marks, access per role, and the
//! audit record of an aggregate read.

use std::{collections::BTreeSet, time::Duration};

use cunhub::{
    auth::Role,
    domain::RegionCode,
    sim::{GenOptions, Population, population::Registration},
};
use serde_json::{Value, json};

use crate::helpers::{TOWNSHIP, TestApp, region_for, spawn_hub_with_departments, today};

const QUERY: &str = "query($r: String!, $i: [String!], $u: Boolean) { statistics(region: $r, indicators: $i, unsuppressed: $u) { takenAt threshold region { code name figures { indicator value state } } children { code name level figures { indicator value state } } } }";

/// The newest snapshot's answer once one taken after `since` is in force.
async fn fresh(
    app: &TestApp,
    token: &str,
    region: &str,
    unsuppressed: bool,
    since: chrono::DateTime<chrono::Utc>,
) -> Value {
    for _ in 0..100 {
        let response = app
            .graphql(QUERY)
            .variables(json!({"r": region, "i": ["population."], "u": unsuppressed}))
            .bearer(token)
            .send()
            .await;
        let stats = response.data()["statistics"].clone();
        if let Some(taken) = stats["takenAt"].as_str() {
            let taken: chrono::DateTime<chrono::Utc> = taken.parse().unwrap();
            if taken > since {
                return stats;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let response = app
        .graphql(QUERY)
        .variables(json!({"r": region, "i": ["population."], "u": unsuppressed}))
        .bearer(token)
        .send()
        .await;
    panic!(
        "no snapshot after {since}: {:?} {:?}",
        response.data(),
        response.error_codes()
    );
}

fn figure(row: &Value, key: &str) -> (Option<i64>, String) {
    let f = row["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["indicator"] == key)
        .unwrap_or_else(|| panic!("{key} missing"));
    (f["value"].as_i64(), f["state"].as_str().unwrap().to_owned())
}

/// Residents, households and age bands of each village, straight from the population.
fn expected(village: &str) -> [i64; 5] {
    let mut options = GenOptions::new(RegionCode::parse(TOWNSHIP).unwrap(), today());
    options.people_per_village = 40;
    let population = Population::generate(options).unwrap();
    let day = today();
    let mut households = BTreeSet::new();
    let mut counts = [0i64; 5];
    for person in &population.people {
        if population.village_of(person).code.statistical() != village
            || !matches!(person.registration, Registration::Normal)
        {
            continue;
        }
        households.insert(person.household);
        let born = person.birth_date();
        let age = day.years_since(born).unwrap_or(0);
        counts[0] += 1;
        counts[2] += i64::from(age >= 60);
        counts[3] += i64::from(age >= 80);
        counts[4] += i64::from(age < 14);
    }
    counts[1] = households.len() as i64;
    counts
}

#[tokio::test]
async fn population_indicators_match_the_simulated_population_and_small_cells_are_withheld() {
    let (app, cluster) = spawn_hub_with_departments(40, |_| {}).await;
    let synced = chrono::Utc::now();
    // As the hourly task does; a restarted hub serves the newest stored snapshot.
    cunhub::statistics::Published::default()
        .take(&app.db, 5, chrono::Utc::now())
        .await
        .unwrap();
    let app = crate::helpers::restart_with(app, |_| {}).await;
    let admin = app.token(Role::Admin, "22");
    let raw = fresh(&app, &admin, TOWNSHIP, true, synced).await;
    let children = raw["children"].as_array().unwrap();
    assert!(!children.is_empty());
    let keys = [
        "population.residents",
        "population.households",
        "population.aged_60_plus",
        "population.aged_80_plus",
        "population.children",
    ];
    let mut total = 0;
    for child in children {
        let want = expected(child["code"].as_str().unwrap());
        for (key, want) in keys.iter().zip(want) {
            assert_eq!(
                figure(child, key).0,
                Some(want),
                "{key} of {}",
                child["code"]
            );
        }
        total += want[0];
    }
    assert_eq!(
        figure(&raw["region"], "population.residents").0,
        Some(total)
    );

    // The dashboard sees the same snapshot with small cells withheld.
    let dashboard = app.token(Role::Dashboard, "22");
    let public = fresh(&app, &dashboard, TOWNSHIP, false, synced).await;
    let mut small = 0;
    for (child, raw_child) in public["children"].as_array().unwrap().iter().zip(children) {
        for key in keys {
            let (value, state) = figure(child, key);
            let (raw_value, _) = figure(raw_child, key);
            let raw_value = raw_value.unwrap();
            match state.as_str() {
                "PUBLISHED" => assert_eq!(value, Some(raw_value)),
                "SMALL" => {
                    assert!(value.is_none() && (1..5).contains(&raw_value));
                    small += 1;
                }
                "COMPLEMENTARY" => assert!(value.is_none() && raw_value >= 5),
                other => panic!("{other}"),
            }
            if (1..5).contains(&raw_value) {
                assert_eq!(state, "SMALL", "{key} = {raw_value} published");
            }
        }
    }
    assert!(
        small > 0,
        "a township of 40-person villages has small cells"
    );
    cluster.stop().await;
}

#[tokio::test]
async fn statistics_are_readable_per_the_aggregate_row_and_audited() {
    let app = crate::helpers::spawn_app().await;
    for role in Role::ALL {
        let department = role
            .needs_department()
            .then_some(cunhub::domain::Department::MedicalInsurance);
        let token = app.token_with(role, region_for(role), department);
        let response = app
            .graphql(QUERY)
            .variables(json!({"r": region_for(role)}))
            .bearer(token)
            .send()
            .await;
        let allowed = matches!(
            role,
            Role::Dashboard
                | Role::VillageAssistant
                | Role::TownshipOfficer
                | Role::DepartmentClerk
                | Role::Admin
        );
        if allowed {
            assert!(
                response.error_codes().is_empty(),
                "{role}: {:?}",
                response.error_codes()
            );
        } else {
            assert_eq!(response.error_codes(), vec!["FORBIDDEN"], "{role}");
        }
    }
    // Outside the caller's scope, and unsuppressed for anyone but the admin.
    let township = app.token(Role::TownshipOfficer, TOWNSHIP);
    let response = app
        .graphql(QUERY)
        .variables(json!({"r": "220122102"}))
        .bearer(township.clone())
        .send()
        .await;
    assert_eq!(response.error_codes(), vec!["FORBIDDEN"]);
    let dashboard = app.token(Role::Dashboard, "22");
    let response = app
        .graphql(QUERY)
        .variables(json!({"r": "2201", "u": true}))
        .bearer(dashboard)
        .send()
        .await;
    assert_eq!(response.error_codes(), vec!["FORBIDDEN"]);
    let auditor = app.token(Role::Auditor, "22");
    let mut text = String::new();
    for _ in 0..50 {
        let log = app
            .graphql("{ auditLog(first: 50) { edges { node { action target outcome } } } }")
            .bearer(auditor.clone())
            .send()
            .await;
        text = log.data().to_string();
        if text.contains("statistics.read") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no aggregate read in the audit log: {text}");
}
