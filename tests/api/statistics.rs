//! The `statistics` query: indicators against counts computed here from the simulators'
//! population (not from the rollup code), suppression marks, access per role, and the
//! audit record of an aggregate read.

use std::{collections::BTreeSet, time::Duration};

use cunhub::{
    auth::Role,
    domain::RegionCode,
    sim::{GenOptions, Population, population::Registration},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
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

/// Residents, households, age bands and the elderly alone in their household of each
/// village, straight from the population.
fn expected(village: &str) -> [i64; 6] {
    let mut options = GenOptions::new(RegionCode::parse(TOWNSHIP).unwrap(), today());
    options.people_per_village = 40;
    let population = Population::generate(options).unwrap();
    let day = today();
    let mut households = BTreeSet::new();
    let mut counts = [0i64; 6];
    let registered: Vec<_> = population
        .people
        .iter()
        .filter(|p| {
            population.village_of(p).code.statistical() == village
                && matches!(p.registration, Registration::Normal)
        })
        .collect();
    for person in &registered {
        households.insert(person.household);
        let alone = registered
            .iter()
            .filter(|p| p.household == person.household)
            .count()
            == 1;
        let born = person.birth_date();
        let age = day.years_since(born).unwrap_or(0);
        counts[0] += 1;
        counts[2] += i64::from(age >= 60);
        counts[3] += i64::from(age >= 80);
        counts[4] += i64::from(age < 14);
        counts[5] += i64::from(age >= 60 && alone);
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
        "population.living_alone_60_plus",
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

/// The coverage counts of each village, straight from the population's facts (what each
/// department's simulator answers), by metric.
fn expected_coverage(village: &str) -> std::collections::BTreeMap<String, i64> {
    use cunhub::sim::population::{AssistanceStatus, CardValidity, InsuranceStatus, Programme};
    let mut options = GenOptions::new(RegionCode::parse(TOWNSHIP).unwrap(), today());
    options.people_per_village = 40;
    let population = Population::generate(options).unwrap();
    let day = today();
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    let mut add = |metric: &str| *counts.entry(metric.to_owned()).or_default() += 1;
    for person in &population.people {
        if population.village_of(person).code.statistical() != village
            || !matches!(person.registration, Registration::Normal)
        {
            continue;
        }
        let age = day.years_since(person.birth_date()).unwrap_or(0);
        let paid = |programme: Programme| {
            person
                .assistance
                .iter()
                .any(|a| a.programme == programme && a.status == AssistanceStatus::InPayment)
        };
        add("screened");
        let insured = person
            .medical
            .as_ref()
            .is_some_and(|m| m.status == InsuranceStatus::Insured);
        add(if insured {
            "medically_insured"
        } else {
            "not_medically_insured"
        });
        let valid = match person.card {
            CardValidity::LongTerm => true,
            CardValidity::Until(until) => until >= day,
            CardValidity::NoCard => false,
        };
        add(if valid {
            "id_card_valid"
        } else {
            "id_card_not_valid"
        });
        if age >= 60 {
            add("pension_age");
            let paid = person
                .social
                .as_ref()
                .and_then(|s| s.pension.as_ref())
                .is_some_and(|p| p.in_payment);
            add(if paid {
                "pension_in_payment"
            } else {
                "pension_not_in_payment"
            });
        }
        if age >= 80 {
            add("elderly");
            let allowance = paid(Programme::OldAgeAllowance);
            add(if allowance {
                "old_age_allowance"
            } else {
                "no_old_age_allowance"
            });
        }
        let severe = person
            .assistance
            .iter()
            .any(|a| a.disability.is_some_and(|d| (1..=2).contains(&d.grade)));
        if paid(Programme::Dibao) || paid(Programme::ExtremelyPoor) {
            add("assistance_recipients");
        }
        if severe {
            add("severely_disabled");
            let nursing = paid(Programme::SevereDisabilityNursing);
            add(if nursing {
                "nursing_subsidy"
            } else {
                "no_nursing_subsidy"
            });
        }
    }
    counts
}

#[tokio::test]
async fn coverage_indicators_match_what_the_departments_hold_for_the_population() {
    let (app, cluster) = spawn_hub_with_departments(40, |_| {}).await;
    crate::screening::screen(&app, None).await;
    let screened = chrono::Utc::now();
    cunhub::statistics::Published::default()
        .take(&app.db, 5, chrono::Utc::now())
        .await
        .unwrap();
    let app = crate::helpers::restart_with(app, |_| {}).await;
    let admin = app.token(Role::Admin, "22");
    let stats = app
        .graphql(QUERY)
        .variables(json!({"r": TOWNSHIP, "i": ["coverage.", "alerts."], "u": true}))
        .bearer(admin)
        .send()
        .await
        .data()["statistics"]
        .clone();
    let taken: chrono::DateTime<chrono::Utc> = stats["takenAt"].as_str().unwrap().parse().unwrap();
    assert!(taken > screened);
    let children = stats["children"].as_array().unwrap();
    assert!(!children.is_empty());
    let mut compared = 0;
    for child in children {
        let want = expected_coverage(child["code"].as_str().unwrap());
        for (metric, want) in &want {
            assert_eq!(
                figure(child, &format!("coverage.{metric}")).0,
                Some(*want),
                "coverage.{metric} of {}",
                child["code"]
            );
            compared += 1;
        }
        // Open alerts: what the run stored for the village, all of them first found now.
        let stored = entities::alert::Entity::find()
            .filter(entities::alert::Column::VillageCode.eq(child["code"].as_str().unwrap()))
            .count(&app.db)
            .await
            .unwrap() as i64;
        let month = chrono::Utc::now()
            .with_timezone(&cunhub::workflow::clock::CHINA)
            .format("%Y-%m");
        for key in ["alerts.open".to_owned(), format!("alerts.found@{month}")] {
            assert_eq!(
                figure(child, &key).0,
                Some(stored),
                "{key} of {}",
                child["code"]
            );
        }
        // The parts of each share add up to its denominator.
        let value = |m: &str| figure(child, &format!("coverage.{m}")).0.unwrap_or(0);
        assert_eq!(
            value("medically_insured") + value("not_medically_insured"),
            value("screened")
        );
    }
    assert!(compared > 20, "{compared} figures compared");
    cluster.stop().await;
}
