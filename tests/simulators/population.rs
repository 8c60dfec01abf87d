use std::collections::HashSet;

use cunhub::domain::{IdNumber, RegionCode, Relationship};
use cunhub::sim::population::Registration;
use cunhub::sim::{GenOptions, Population};

use crate::helpers::today;

fn generate(scope: &str, people: u32) -> Population {
    let mut options = GenOptions::new(RegionCode::parse(scope).unwrap(), today());
    options.people_per_village = people;
    Population::generate(options).unwrap()
}

#[test]
fn the_same_seed_gives_identical_people() {
    let a = generate("220122", 30);
    let b = generate("220122", 30);
    assert_eq!(a.people, b.people);
    assert_eq!(a.households, b.households);
    assert_eq!(a.planted_faults(), b.planted_faults());
    let mut other = GenOptions::new(RegionCode::parse("220122").unwrap(), today());
    other.people_per_village = 30;
    other.seed += 1;
    let c = Population::generate(other).unwrap();
    assert_ne!(a.people[0].id_number, c.people[0].id_number);
}

#[test]
fn every_id_number_in_the_province_is_valid_unique_and_never_a_development_zone() {
    let pop = generate("22", 3);
    assert_eq!(pop.villages.len(), 9_321 + 2_271);
    let mut seen = HashSet::with_capacity(pop.people.len());
    for person in &pop.people {
        let text = person.id_number.as_str();
        let parsed = IdNumber::parse(text).unwrap();
        assert_eq!(parsed.sex(), person.sex);
        assert!(
            !RegionCode::parse(parsed.address_code())
                .unwrap()
                .is_development_zone(),
            "{text}"
        );
        assert!(seen.insert(person.id_number), "duplicate {text}");
    }
    let zone_people = pop
        .people
        .iter()
        .filter(|p| pop.village_of(p).code.is_development_zone())
        .count();
    assert!(zone_people > 0);
    assert!(
        pop.people
            .iter()
            .any(|p| p.id_number.address_code() == "220381")
    );
}

#[test]
fn households_are_consistent() {
    let pop = generate("220122", 60);
    let codes: HashSet<&str> = Relationship::ALL.iter().map(|r| r.code()).collect();
    for index in 0..pop.households.len() {
        let members = pop.household_members(index);
        assert!(!members.is_empty());
        let heads = members
            .iter()
            .filter(|p| p.relationship == Relationship::Head)
            .count();
        assert_eq!(heads, 1, "household {}", pop.household_number(index));
        assert!(
            members
                .iter()
                .all(|p| codes.contains(p.relationship.code()))
        );
    }
    let dead = pop
        .people
        .iter()
        .filter(|p| matches!(p.registration, Registration::Deceased(_)))
        .count();
    assert!(dead > 0);
    let elderly = pop
        .people
        .iter()
        .filter(|p| p.id_number.age_on(today()) >= 60)
        .count();
    assert!(
        elderly * 4 > pop.people.len(),
        "an ageing population: {elderly} of {}",
        pop.people.len()
    );
}

/// The whole-province figures: `cargo test --release --test simulators -- --ignored
/// province --nocapture` (the same as `cunhub sim --scope 22 --generate-only`).
#[test]
#[ignore = "generates the whole province; run in release"]
fn province_generation_figures() {
    let started = std::time::Instant::now();
    let mut options = GenOptions::new(RegionCode::parse("22").unwrap(), today());
    options.people_per_village = 245;
    let pop = Population::generate(options).unwrap();
    let elapsed = started.elapsed();
    println!("{}", cunhub::sim::cli::summary(&pop));
    println!("generated in {:.2} s", elapsed.as_secs_f64());
    println!(
        "peak resident memory: {:.1} MiB",
        cunhub::sim::cli::peak_memory_kib().unwrap_or(0) as f64 / 1024.0
    );
    println!(
        "size of one person: {} bytes",
        std::mem::size_of::<cunhub::sim::population::Person>()
    );
    let started = std::time::Instant::now();
    let county = generate("220122", 245);
    println!(
        "农安县: {} people in {:.3} s",
        county.people.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn a_cluster_can_start_in_the_background_with_progress() {
    let (progress, task) = cunhub::sim::SimCluster::spawn(crate::helpers::options("220122102", 30));
    let cluster = task.await.unwrap().unwrap();
    let (done, total) = progress.get();
    assert!(total > 0 && done == total);
    assert!(
        cluster
            .base_url(cunhub::sim::Department::CivilAffairs)
            .is_some()
    );
    cluster.stop().await;
}
