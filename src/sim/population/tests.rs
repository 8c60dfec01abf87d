#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use chrono::NaiveDate;

use super::*;
use crate::domain::{IdNumber, Relationship};
use crate::sim::truth::{self, AlertKind};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

fn options(scope: &str, people: u32) -> GenOptions {
    let mut o = GenOptions::new(RegionCode::parse(scope).unwrap(), today());
    o.people_per_village = people;
    o
}

#[test]
fn same_options_give_the_same_people() {
    let a = Population::generate(options("220122101", 80)).unwrap();
    let b = Population::generate(options("220122101", 80)).unwrap();
    assert_eq!(a.people, b.people);
    assert_eq!(a.households, b.households);
}

#[test]
fn a_village_is_the_same_in_a_wider_scope() {
    let township = Population::generate(options("220122101", 60)).unwrap();
    let village = &township.villages[1];
    let alone = Population::generate(options(village.code.as_str(), 60)).unwrap();
    let range = village.people.start as usize..village.people.end as usize;
    let wide: Vec<_> = township.people[range]
        .iter()
        .map(|p| (p.id_number, p.name))
        .collect();
    let narrow: Vec<_> = alone.people.iter().map(|p| (p.id_number, p.name)).collect();
    assert_eq!(wide, narrow);
}

#[test]
fn ids_are_valid_unique_and_never_development_zones() {
    let pop = Population::generate(options("2201", 20)).unwrap();
    let mut seen = HashSet::new();
    for p in &pop.people {
        let text = p.id_number.as_str();
        assert_eq!(IdNumber::parse(text).unwrap(), p.id_number);
        assert!(seen.insert(p.id_number), "duplicate {text}");
        assert_ne!(&text[4..5], "7", "development zone code in {text}");
        assert_eq!(p.id_number.sex(), p.sex);
        assert_eq!(pop.find(&p.id_number).map(|i| &pop.people[i]), Some(p));
    }
    assert!(
        pop.people
            .iter()
            .any(|p| p.id_number.address_code() == "220381")
    );
}

#[test]
fn households_have_exactly_one_head() {
    let pop = Population::generate(options("220122", 40)).unwrap();
    for (i, h) in pop.households.iter().enumerate() {
        let members = pop.household_members(i);
        assert_eq!(members[0].relationship, Relationship::Head);
        assert_eq!(
            members
                .iter()
                .filter(|p| p.relationship == Relationship::Head)
                .count(),
            1
        );
        assert!(
            members
                .iter()
                .all(|p| p.household as usize == i && p.village == h.village)
        );
        assert_eq!(pop.household_by_number(&pop.household_number(i)), Some(i));
    }
}

#[test]
fn planted_faults_are_exactly_the_rule_outcomes() {
    let pop = Population::generate(options("220122", 245)).unwrap();
    for (i, p) in pop.people.iter().enumerate() {
        assert_eq!(
            truth::evaluate(&pop, i, today()),
            p.planted,
            "{} {:?}",
            p.id_number,
            p
        );
    }
    for (kind, count) in pop.planted_counts() {
        assert!(count > 0, "{kind:?} never planted");
    }
    assert!(
        pop.planted_faults()
            .iter()
            .any(|f| f.kinds.contains(&AlertKind::NameEncodingLoss))
    );
}

#[test]
fn scope_without_villages_is_an_error() {
    assert!(Population::generate(options("2299", 10)).is_err());
}
