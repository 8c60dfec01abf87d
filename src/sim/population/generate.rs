//! The generator: households of a village, people, their department facts, and the
//! planted faults (see [`crate::sim::truth`] for the rules and rates).

use std::collections::HashMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::issue::{self, IssuePlan};
use super::model::*;
use super::names::{self, CompactName};
use super::{GenOptions, Population};
use crate::domain::divisions::{self, Division, DivisionDataError};
use crate::domain::{Ethnicity, IdNumber, IdNumberError, RegionLevel, Relationship, Sex};
use crate::sim::truth::{self, AlertKind, AlertSet};

/// Why a population could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Divisions(#[from] DivisionDataError),
    #[error("no village or community lies within the scope {0}")]
    EmptyScope(String),
    #[error("could not issue an ID number: {0}")]
    Issue(#[from] IdNumberError),
    #[error("the population would exceed {0} people")]
    TooLarge(usize),
}

const MAX_PEOPLE: usize = u32::MAX as usize / 2;

pub(super) fn generate(
    options: GenOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Population, GenerateError> {
    let all = divisions::all()?;
    let names: HashMap<&str, &str> = all
        .iter()
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .collect();
    let plans = issue::plans(&all);
    let targets: Vec<&Division> = all
        .iter()
        .filter(|d| matches!(d.level, RegionLevel::Village | RegionLevel::Community))
        .filter(|d| options.scope.contains(&d.code))
        .collect();
    if targets.is_empty() {
        return Err(GenerateError::EmptyScope(options.scope.to_string()));
    }
    // Households overshoot a village's target by a person or two: 3 % headroom.
    let estimate = targets.len() * options.people_per_village as usize * 103 / 100;
    let mut out = Output {
        households: Vec::with_capacity(estimate / 2),
        people: Vec::with_capacity(estimate),
        variants: Vec::new(),
    };
    let mut villages = Vec::with_capacity(targets.len());
    for (n, division) in targets.iter().enumerate() {
        let code = division.code.as_str();
        let Some(plan) = plans.get(code) else {
            continue;
        };
        let name_of = |len: usize| {
            names
                .get(&code[..len])
                .copied()
                .unwrap_or_default()
                .to_owned()
        };
        let people_start = out.people.len() as u32;
        let households_start = out.households.len() as u32;
        let mut village = VillageGen::new(&options, division, plan, villages.len() as u32);
        village.run(&mut out)?;
        if out.people.len() > MAX_PEOPLE {
            return Err(GenerateError::TooLarge(MAX_PEOPLE));
        }
        villages.push(Village {
            code: division.code.clone(),
            level: division.level,
            name: division.name.clone(),
            township: name_of(9),
            county: name_of(6),
            prefecture: name_of(4),
            people: people_start..out.people.len() as u32,
            households: households_start..out.households.len() as u32,
        });
        if n % 64 == 0 {
            progress(n, targets.len());
        }
    }
    progress(targets.len(), targets.len());
    let mut by_id: Vec<u32> = (0..out.people.len() as u32).collect();
    by_id.sort_unstable_by(|a, b| {
        out.people[*a as usize]
            .id_number
            .cmp(&out.people[*b as usize].id_number)
    });
    Ok(Population {
        options,
        villages,
        households: out.households,
        people: out.people,
        by_id,
        name_variants: out.variants,
    })
}

struct Output {
    households: Vec<Household>,
    people: Vec<Person>,
    variants: Vec<(u32, NameSource, CompactName)>,
}

/// Household compositions; a member is (relationship, male, age).
type Member = (Relationship, bool, u32);

struct VillageGen<'a> {
    rng: ChaCha8Rng,
    options: &'a GenOptions,
    plan: &'a IssuePlan,
    county: &'a str,
    community: bool,
    index: u32,
    /// The village's 12-digit code as a number (seeds the declared departments' facts).
    code: u64,
    target: usize,
    /// Numbers issued per (former code?, birth date, male).
    issued: HashMap<(bool, NaiveDate, bool), u16>,
}

impl<'a> VillageGen<'a> {
    fn new(
        options: &'a GenOptions,
        division: &'a Division,
        plan: &'a IssuePlan,
        index: u32,
    ) -> Self {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&options.seed.to_le_bytes());
        let code: u64 = division.code.as_str().parse().unwrap_or(0);
        seed[8..16].copy_from_slice(&code.to_le_bytes());
        seed[16..20].copy_from_slice(&options.people_per_village.to_le_bytes());
        let mut rng = ChaCha8Rng::from_seed(seed);
        let base = f64::from(options.people_per_village);
        let target = (base * rng.random_range(0.7..1.3)).round().max(1.0) as usize;
        Self {
            rng,
            options,
            plan,
            county: &division.code.as_str()[..6],
            community: division.level == RegionLevel::Community,
            index,
            code,
            target,
            issued: HashMap::new(),
        }
    }

    fn today(&self) -> NaiveDate {
        self.options.today
    }

    fn run(&mut self, out: &mut Output) -> Result<(), GenerateError> {
        let start = out.people.len();
        let mut seq: u16 = 0;
        while out.people.len() - start < self.target && seq < 9_999 {
            seq += 1;
            let members = self.compose();
            let household = out.households.len() as u32;
            let first = out.people.len() as u32;
            let mut people = self.people(&members, household)?;
            self.household_facts(&mut people);
            for person in &mut people {
                self.plant(person);
            }
            self.declared_facts(&mut people, seq);
            for (offset, person) in people.iter_mut().enumerate() {
                let index = first + offset as u32;
                self.plant_name(person, index, &mut out.variants);
                if truth::loses_in_gbk(person) {
                    person.planted.insert(AlertKind::NameEncodingLoss);
                }
            }
            out.people.extend(people);
            out.households.push(Household {
                village: self.index,
                seq,
                people: first..out.people.len() as u32,
            });
        }
        Ok(())
    }

    /// Draws a household composition, head first.
    fn compose(&mut self) -> Vec<Member> {
        let r: f64 = self.rng.random();
        let shares = if self.community {
            [0.12, 0.15, 0.38, 0.10, 0.05]
        } else {
            [0.20, 0.22, 0.28, 0.12, 0.08]
        };
        let mut acc = 0.0;
        let kind = shares
            .iter()
            .position(|s| {
                acc += s;
                r < acc
            })
            .unwrap_or(5);
        let rng = &mut self.rng;
        let elderly = |rng: &mut ChaCha8Rng, from: u32, span: u32| {
            from + rng.random_range(0..span).min(rng.random_range(0..span))
        };
        let mut members = Vec::new();
        let couple =
            |rng: &mut ChaCha8Rng, members: &mut Vec<Member>, age: u32, male_share: f64| {
                let male = rng.random_bool(male_share);
                members.push((Relationship::Head, male, age));
                let spouse_age = if male {
                    age.saturating_sub(rng.random_range(0..5))
                } else {
                    age + rng.random_range(0..5)
                };
                members.push((Relationship::Spouse, !male, spouse_age.max(20)));
                age.min(spouse_age)
            };
        let children = |rng: &mut ChaCha8Rng,
                        members: &mut Vec<Member>,
                        youngest_parent: u32,
                        rel_child: bool| {
            let count = if rng.random_bool(0.55) { 1 } else { 2 };
            let oldest = youngest_parent.saturating_sub(22).min(25);
            for _ in 0..count {
                let male = rng.random_bool(0.51);
                let age = if rel_child {
                    rng.random_range(0..=oldest)
                } else {
                    rng.random_range(2..=15)
                };
                let rel = match (rel_child, male) {
                    (false, _) => Relationship::Grandchild,
                    (true, true) => Relationship::Son,
                    (true, false) => Relationship::Daughter,
                };
                members.push((rel, male, age));
            }
        };
        match kind {
            0 => {
                let male = rng.random_bool(0.35);
                members.push((Relationship::Head, male, elderly(rng, 65, 32)));
            }
            1 => {
                let age = elderly(rng, 62, 29);
                couple(rng, &mut members, age, 0.9);
            }
            2 => {
                let age = rng.random_range(28..=58);
                let young = couple(rng, &mut members, age, 0.85);
                children(rng, &mut members, young, true);
            }
            3 => {
                let age = rng.random_range(35..=58);
                let young = couple(rng, &mut members, age, 0.85);
                children(rng, &mut members, young, true);
                let father = (age + rng.random_range(24..=32)).min(98);
                let both = rng.random_bool(0.5);
                if both || rng.random_bool(0.3) {
                    members.push((Relationship::Parent, true, father));
                }
                if both || members.len() < 5 && !members.iter().any(|m| m.0 == Relationship::Parent)
                {
                    members.push((Relationship::Parent, false, father.saturating_sub(2)));
                }
            }
            4 => {
                let age = rng.random_range(58..=80);
                if rng.random_bool(0.75) {
                    couple(rng, &mut members, age, 0.8);
                } else {
                    members.push((Relationship::Head, rng.random_bool(0.4), age));
                }
                children(rng, &mut members, 0, false);
            }
            _ => {
                let male = rng.random_bool(0.7);
                members.push((Relationship::Head, male, rng.random_range(22..=64)));
            }
        }
        members
    }

    fn ethnicity(&mut self) -> Ethnicity {
        let county = self.county;
        // (Korean, Manchu, Mongol, Hui) shares by county.
        let (korean, manchu, mongol, hui) = if county.starts_with("2224") {
            (0.32, 0.02, 0.001, 0.005)
        } else if county == "220323" {
            (0.01, 0.38, 0.002, 0.01)
        } else if county == "220721" {
            (0.01, 0.03, 0.18, 0.005)
        } else if county == "220623" {
            (0.15, 0.06, 0.001, 0.003)
        } else if county.starts_with("2205") || county.starts_with("2206") {
            (0.04, 0.06, 0.001, 0.005)
        } else {
            (0.01, 0.03, 0.003, 0.006)
        };
        let r: f64 = self.rng.random();
        if r < korean {
            Ethnicity::Korean
        } else if r < korean + manchu {
            Ethnicity::Manchu
        } else if r < korean + manchu + mongol {
            Ethnicity::Mongol
        } else if r < korean + manchu + mongol + hui {
            Ethnicity::Hui
        } else if r < korean + manchu + mongol + hui + 0.0005 {
            Ethnicity::Xibe
        } else {
            Ethnicity::Han
        }
    }

    /// A birth date making the person `age` today.
    fn birth_for_age(&mut self, age: u32) -> NaiveDate {
        let today = self.today();
        let latest = today
            .checked_sub_months(Months::new(12 * age))
            .unwrap_or(today);
        let earliest = today
            .checked_sub_months(Months::new(12 * (age + 1)))
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .unwrap_or(latest);
        let span = (latest - earliest).num_days().max(0) as u64;
        earliest
            .checked_add_days(Days::new(self.rng.random_range(0..=span)))
            .unwrap_or(latest)
    }

    /// Issues an ID number; on a full (code, date, sex) the birth date moves a day back.
    fn issue(&mut self, mut birth: NaiveDate, male: bool) -> Result<IdNumber, GenerateError> {
        let former = match self.plan.former {
            Some((_, year)) => birth.year() < year && self.rng.random_bool(0.85),
            None => false,
        };
        let code = match (former, self.plan.former) {
            (true, Some((old, _))) => old,
            _ => self.plan.address.as_str(),
        };
        for _ in 0..1_000 {
            let used = self.issued.entry((former, birth, male)).or_insert(0);
            if *used < self.plan.capacity {
                let sequence = self.plan.sequence(*used, male);
                *used += 1;
                return Ok(IdNumber::from_parts(code, birth, sequence)?);
            }
            birth = birth.pred_opt().unwrap_or(birth);
        }
        Err(GenerateError::Issue(IdNumberError::ZeroSequence))
    }

    fn people(&mut self, members: &[Member], household: u32) -> Result<Vec<Person>, GenerateError> {
        let family_ethnicity = self.ethnicity();
        let head_surname = names::surname(&mut self.rng, family_ethnicity);
        let mut spouse_surname = head_surname.clone();
        let head_male = members.first().is_some_and(|m| m.1);
        let mut people = Vec::with_capacity(members.len());
        for &(rel, male, age) in members {
            let ethnicity = if rel == Relationship::Spouse && self.rng.random_bool(0.2) {
                self.ethnicity()
            } else {
                family_ethnicity
            };
            let surname = match rel {
                Relationship::Head => head_surname.clone(),
                Relationship::Spouse => {
                    spouse_surname = names::surname(&mut self.rng, ethnicity);
                    spouse_surname.clone()
                }
                Relationship::Parent if !male => names::surname(&mut self.rng, ethnicity),
                Relationship::Son | Relationship::Daughter | Relationship::Grandchild
                    if !head_male =>
                {
                    spouse_surname.clone()
                }
                _ => head_surname.clone(),
            };
            let birth = self.birth_for_age(age);
            let id_number = self.issue(birth, male)?;
            let birth = id_number.birth_date();
            let rare = ethnicity != Ethnicity::Mongol
                && self.rng.random_bool(self.options.rates.rare_name);
            let sex = if male { Sex::Male } else { Sex::Female };
            let name =
                names::full_name(&mut self.rng, &surname, ethnicity, sex, birth.year(), rare);
            let age = id_number.age_on(self.today());
            let registration = self.registration(rel, age, birth);
            let card = self.card(age);
            let phone = self.phone(age);
            people.push(Person {
                id_number,
                name: CompactName::new(&name),
                sex,
                ethnicity,
                relationship: rel,
                household,
                village: self.index,
                phone,
                card,
                registration,
                disability: None,
                medical: None,
                social: None,
                assistance: Box::new([]),
                veteran: None,
                doctor: None,
                poverty: None,
                planted: AlertSet::default(),
            });
        }
        Ok(people)
    }

    fn days_ago(&mut self, from: u64, to: u64) -> NaiveDate {
        let today = self.today();
        today
            .checked_sub_days(Days::new(self.rng.random_range(from..=to)))
            .unwrap_or(today)
    }

    fn registration(&mut self, rel: Relationship, age: u32, birth: NaiveDate) -> Registration {
        let death_rate = match age {
            0..18 => 0.0,
            18..60 => 0.002,
            _ => 0.02 + f64::from(age - 60) * 0.002,
        };
        if self.rng.random_bool(death_rate.min(0.2)) {
            let date = self.days_ago(10, 1_000);
            if date > birth {
                return Registration::Deceased(date);
            }
        }
        if rel != Relationship::Head && (18..=45).contains(&age) && self.rng.random_bool(0.04) {
            return Registration::MovedOut(self.days_ago(30, 1_800));
        }
        Registration::Normal
    }

    fn card(&mut self, age: u32) -> CardValidity {
        let today = self.today();
        let ahead = |rng: &mut ChaCha8Rng, max: u64| {
            CardValidity::Until(
                today
                    .checked_add_days(Days::new(rng.random_range(30..=max)))
                    .unwrap_or(today),
            )
        };
        match age {
            0..16 if self.rng.random_bool(0.4) => ahead(&mut self.rng, 1_825),
            0..16 => CardValidity::NoCard,
            16..26 => ahead(&mut self.rng, 3_650),
            26..46 => ahead(&mut self.rng, 7_300),
            _ if self.rng.random_bool(0.75) => CardValidity::LongTerm,
            _ => ahead(&mut self.rng, 3_650),
        }
    }

    fn phone(&mut self, age: u32) -> u64 {
        const PREFIXES: [u64; 16] = [
            130, 131, 132, 135, 136, 138, 139, 150, 151, 155, 158, 177, 180, 186, 187, 189,
        ];
        let share = match age {
            0..16 => 0.0,
            16..70 => 0.95,
            _ => 0.6,
        };
        if !self.rng.random_bool(share) {
            return 0;
        }
        let prefix = PREFIXES[self.rng.random_range(0..PREFIXES.len())];
        prefix * 100_000_000 + self.rng.random_range(0..100_000_000)
    }
}

mod declared;

pub use declared::{DOCTOR_AGE, WORKING_AGE};
mod facts;
mod plant;
