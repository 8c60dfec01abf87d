//! The facts of the departments connected by definition files: the veterans' platform,
//! family-doctor contracts and the rural revitalisation register. They are drawn from a
//! stream of their own (seed, village, household), so the facts of the first four
//! departments — and every test built on them — are the same with or without them.

use chrono::{Datelike, Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::VillageGen;
use crate::sim::population::model::*;
use crate::sim::truth::AlertKind;

/// Adults start working at 16 and stop at 60 (the register's "working age").
pub const WORKING_AGE: std::ops::Range<u32> = 16..60;

/// Elderly for the family-doctor rule.
pub const DOCTOR_AGE: u32 = 65;

const MEASURES: [&str; 5] = [
    "INDUSTRY",
    "EDUCATION",
    "HEALTH",
    "HOUSING",
    "SOCIAL_SECURITY",
];

impl VillageGen<'_> {
    pub(super) fn declared_facts(&mut self, people: &mut [Person], household: u16) {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&self.options.seed.to_le_bytes());
        seed[8..16].copy_from_slice(&self.code.to_le_bytes());
        seed[16..18].copy_from_slice(&household.to_le_bytes());
        seed[18..22].copy_from_slice(b"decl");
        let mut rng = ChaCha8Rng::from_seed(seed);
        let today = self.today();
        // Households medical insurance knows as monitored, and — unemployment being what
        // most often sends a household back — a share of rural households with a
        // registered unemployed member of working age (medical insurance does not always
        // know them: no check compares the two).
        let jobless = people.iter().any(|p| {
            p.is_normal()
                && WORKING_AGE.contains(&p.id_number.age_on(today))
                && p.social
                    .is_some_and(|s| s.employment == Employment::RegisteredUnemployed)
        });
        let monitored = people
            .iter()
            .any(|p| p.medical.is_some_and(|m| m.monitored))
            || (jobless && !self.community && rng.random_bool(0.3));
        let lifted = !monitored && !self.community && rng.random_bool(0.05);
        let risk = rng.random_range(1..=3u8);
        let eliminated =
            (monitored && rng.random_bool(0.2)).then(|| days_ago(&mut rng, today, 30, 700));
        for person in people.iter_mut() {
            let age = person.id_number.age_on(today);
            person.veteran = self.veteran(&mut rng, person, age).map(Box::new);
            person.doctor = self.doctor(&mut rng, person, age).map(Box::new);
            if monitored || lifted {
                let kind = if monitored { 2 } else { 1 };
                person.poverty = self
                    .poverty(&mut rng, person, age, kind, risk, eliminated)
                    .map(Box::new);
            }
        }
    }

    fn veteran(&self, rng: &mut ChaCha8Rng, person: &mut Person, age: u32) -> Option<VeteranFacts> {
        let share = if person.sex == crate::domain::Sex::Male {
            0.06
        } else {
            0.01
        };
        if age < 22 || !rng.random_bool(share) {
            return None;
        }
        let today = self.today();
        let category = match rng.random_range(0..20) {
            0 | 1 => 6,
            2 => 5,
            3 => 2,
            _ => 1,
        };
        let birth_year = u16::try_from(person.birth_date().year()).unwrap_or(1960);
        let mut facts = VeteranFacts {
            category,
            disability_level: (category == 6).then(|| rng.random_range(1..=10)),
            discharge_year: birth_year + rng.random_range(20..=26u16),
            card: CardState::Issued(days_ago(rng, today, 30, 900)),
            in_difficulty: rng.random_bool(0.08),
            last_visit: None,
            deceased: matches!(person.registration, Registration::Deceased(_)),
        };
        if facts.in_difficulty {
            facts.last_visit = Some(days_ago(rng, today, 5, 300));
        }
        let rates = self.options.rates;
        match person.registration {
            Registration::Normal if rng.random_bool(rates.veteran_no_card) => {
                facts.card = if rng.random_bool(0.5) {
                    CardState::None
                } else {
                    CardState::Applied
                };
                person.planted.insert(AlertKind::VeteranNoCard);
            }
            Registration::Deceased(_) if rng.random_bool(rates.deceased_still_listed) => {
                facts.deceased = false;
                person.planted.insert(AlertKind::DeceasedStillListed);
            }
            _ => {}
        }
        Some(facts)
    }

    fn doctor(&self, rng: &mut ChaCha8Rng, person: &mut Person, age: u32) -> Option<DoctorFacts> {
        let today = self.today();
        let severe = person
            .assistance
            .iter()
            .any(|a| a.disability.is_some_and(|d| d.grade <= 2));
        let due = age >= DOCTOR_AGE || severe;
        let rates = self.options.rates;
        let normal = person.is_normal();
        if due && normal && rng.random_bool(rates.no_family_doctor) {
            person.planted.insert(AlertKind::NoFamilyDoctor);
            return None;
        }
        if !due && !rng.random_bool(0.3) {
            return None;
        }
        let package = if severe {
            3
        } else if age >= DOCTOR_AGE {
            1
        } else if rng.random_bool(0.15) {
            2
        } else {
            0
        };
        let mut facts = DoctorFacts {
            active: true,
            start: days_ago(rng, today, 20, 1_500),
            end: None,
            package,
            doctor: rng.random_range(1..=3),
        };
        match person.registration {
            Registration::Normal => {}
            Registration::Deceased(_) if rng.random_bool(rates.deceased_still_listed) => {
                person.planted.insert(AlertKind::DeceasedStillListed);
            }
            Registration::Deceased(on) | Registration::MovedOut(on) => {
                facts.active = false;
                facts.start = facts.start.min(on);
                facts.end = Some(on);
            }
        }
        Some(facts)
    }

    fn poverty(
        &self,
        rng: &mut ChaCha8Rng,
        person: &mut Person,
        age: u32,
        kind: u8,
        risk: u8,
        eliminated: Option<NaiveDate>,
    ) -> Option<PovertyFacts> {
        let today = self.today();
        let rates = self.options.rates;
        let watched = kind == 2 && eliminated.is_none();
        match person.registration {
            Registration::Normal => {}
            Registration::Deceased(_)
                if watched && rng.random_bool(rates.deceased_still_listed) =>
            {
                person.planted.insert(AlertKind::DeceasedStillListed);
            }
            _ => return None,
        }
        let unemployed = person
            .social
            .is_some_and(|s| s.employment == Employment::RegisteredUnemployed);
        let work = if !WORKING_AGE.contains(&age) {
            "UNABLE"
        } else if unemployed {
            "UNEMPLOYED"
        } else if rng.random_bool(0.4) {
            "MIGRANT_WORK"
        } else {
            "LOCAL_WORK"
        };
        let mut assistance = vec![(
            MEASURES[rng.random_range(0..MEASURES.len())],
            days_ago(rng, today, 60, 1_500),
        )];
        let due = watched && person.is_normal() && WORKING_AGE.contains(&age) && unemployed;
        let helped = if due {
            if rng.random_bool(rates.relapse_unemployed_no_help) {
                person.planted.insert(AlertKind::RelapseUnemployedNoHelp);
                false
            } else {
                true
            }
        } else {
            rng.random_bool(0.2)
        };
        if helped {
            assistance.push(("EMPLOYMENT", days_ago(rng, today, 10, 900)));
        }
        Some(PovertyFacts {
            kind,
            risk: (kind == 2).then_some(risk),
            eliminated: eliminated.filter(|_| kind == 2),
            assistance,
            work,
        })
    }
}

fn days_ago(rng: &mut ChaCha8Rng, today: NaiveDate, from: u64, to: u64) -> NaiveDate {
    today
        .checked_sub_days(Days::new(rng.random_range(from..=to)))
        .unwrap_or(today)
}
