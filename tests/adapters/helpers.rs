use std::time::Duration;

use chrono::NaiveDate;
use cunhub::adapters::{CallContext, DepartmentSettings, Departments, DepartmentsSettings};
use cunhub::domain::{IdNumber, RegionCode};
use cunhub::sim::{Department as Sim, GenOptions, SimCluster, SimOptions};
use secrecy::SecretString;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

/// One township of 农安县 with `per_village` people per village.
pub async fn cluster(per_village: u32, change: impl FnOnce(&mut SimOptions)) -> SimCluster {
    let mut generation = GenOptions::new(RegionCode::parse("220122101").unwrap(), today());
    generation.people_per_village = per_village;
    let mut options = SimOptions::new(generation);
    change(&mut options);
    SimCluster::start(options).await.unwrap()
}

/// Settings pointing at the simulators, with quick backoff for tests.
pub fn settings(cluster: &SimCluster) -> DepartmentsSettings {
    let url = |d| cluster.base_url(d).unwrap().to_owned();
    let mut s = DepartmentsSettings::default();
    s.defaults.backoff = Duration::from_millis(20);
    s.defaults.max_backoff = Duration::from_secs(2);
    s.medical_insurance = DepartmentSettings::at(url(Sim::MedicalInsurance));
    s.medical_insurance.division = Some("220122".into());
    s.social_security = DepartmentSettings::at(url(Sim::SocialSecurity));
    s.social_security.api_key = Some(SecretString::from(
        cluster.credentials.social_api_key.clone(),
    ));
    s.civil_affairs = DepartmentSettings::at(url(Sim::CivilAffairs));
    s.public_security = DepartmentSettings::at(url(Sim::PublicSecurity));
    s.public_security.client_id = Some(cluster.credentials.police_client_id.clone());
    s.public_security.client_secret = Some(SecretString::from(
        cluster.credentials.police_client_secret.clone(),
    ));
    s
}

pub fn departments(settings: &DepartmentsSettings) -> Departments {
    Departments::new(settings).unwrap()
}

pub fn ctx(budget_ms: u64) -> CallContext {
    CallContext::new(Duration::from_millis(budget_ms))
}

pub fn knobs(cluster: &SimCluster, d: Sim, patch: serde_json::Value) {
    cluster.knobs(d).unwrap().patch(&patch).unwrap();
}

/// Indexes of people matching `f`.
pub fn people(
    cluster: &SimCluster,
    f: impl Fn(&cunhub::sim::population::Person) -> bool,
) -> Vec<usize> {
    cluster
        .population
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| f(p))
        .map(|(i, _)| i)
        .collect()
}

pub fn id(cluster: &SimCluster, index: usize) -> IdNumber {
    cluster.population.people[index].id_number
}
