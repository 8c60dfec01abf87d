//! The seeded synthetic population shared by the four simulators.
//!
//! Deterministic from [`GenOptions`]: each village draws from its own ChaCha8 stream
//! seeded with the seed and the village code, so a sub-scope yields exactly the people the
//! province run gives for those villages. Villages (村委会) and urban communities (居委会)
//! are populated; the 268 virtual living areas of farms and zones (codes 400 and up) are
//! skipped. People are compact (about 130 bytes each, names inline) and stored in village
//! and household order, so a village or a household is a contiguous range.

mod generate;
mod issue;
mod model;
pub mod names;

use std::borrow::Cow;

use chrono::NaiveDate;

pub use generate::GenerateError;
pub use generate::{DOCTOR_AGE, WORKING_AGE};
pub use model::*;

use crate::domain::{IdNumber, RegionCode};
use crate::sim::truth::FaultRates;

/// What the generator needs; the same options give the same people.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    pub seed: u64,
    /// Region prefix: `22` the province, `220122` 农安县, a township or a village.
    pub scope: RegionCode,
    /// Average people per village; each village draws 70–130 % of it.
    pub people_per_village: u32,
    /// The date the population is generated for: ages, card validity and certification
    /// dates are relative to it, and the truth holds on it.
    pub today: NaiveDate,
    pub rates: FaultRates,
}

impl GenOptions {
    /// The simulators' defaults for a scope: seed [`DEFAULT_SEED`], 245 people per
    /// village (the provincial average), the default fault rates.
    pub fn new(scope: RegionCode, today: NaiveDate) -> Self {
        Self {
            seed: DEFAULT_SEED,
            scope,
            people_per_village: 245,
            today,
            rates: FaultRates::default(),
        }
    }
}

/// The default seed.
pub const DEFAULT_SEED: u64 = 20_230_601;

/// A generated population with the indexes the simulators need.
#[derive(Debug)]
pub struct Population {
    /// The options it was generated from.
    pub options: GenOptions,
    /// Villages and communities in code order.
    pub villages: Vec<Village>,
    /// Households in village order; `Person::household` indexes this.
    pub households: Vec<Household>,
    /// People in village, household and register order (head first).
    pub people: Vec<Person>,
    /// Person indexes sorted by ID number.
    by_id: Vec<u32>,
    /// (person index, department, name) for the planted misspellings, by person index.
    name_variants: Vec<(u32, NameSource, names::CompactName)>,
}

impl Population {
    /// Generates the population (see [`GenOptions`]).
    pub fn generate(options: GenOptions) -> Result<Self, GenerateError> {
        generate::generate(options, &mut |_, _| {})
    }

    /// Generates, reporting (villages done, villages total) as it goes.
    pub fn generate_with_progress(
        options: GenOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Self, GenerateError> {
        generate::generate(options, progress)
    }

    pub fn find(&self, id: &IdNumber) -> Option<usize> {
        self.by_id
            .binary_search_by(|&i| self.people[i as usize].id_number.cmp(id))
            .ok()
            .map(|pos| self.by_id[pos] as usize)
    }

    pub fn person(&self, id: &IdNumber) -> Option<&Person> {
        self.find(id).map(|i| &self.people[i])
    }

    pub fn village_of(&self, person: &Person) -> &Village {
        &self.villages[person.village as usize]
    }

    /// The index of the village with this 12-digit code.
    pub fn village_index(&self, code: &str) -> Option<usize> {
        self.villages
            .binary_search_by(|v| v.code.as_str().cmp(code))
            .ok()
    }

    /// The range of people living within a region prefix (contiguous: villages are
    /// stored in code order).
    pub fn people_in(&self, scope: &RegionCode) -> std::ops::Range<usize> {
        let first = self
            .villages
            .partition_point(|v| v.code.as_str() < scope.as_str());
        let last = self
            .villages
            .partition_point(|v| v.code.as_str() < scope.as_str() || scope.contains(&v.code));
        match (
            self.villages.get(first),
            last.checked_sub(1).and_then(|l| self.villages.get(l)),
        ) {
            (Some(a), Some(b)) if first < last => a.people.start as usize..b.people.end as usize,
            _ => 0..0,
        }
    }

    /// The household number (户号): the 12-digit village code and a 4-digit sequence.
    pub fn household_number(&self, household: usize) -> String {
        match self.households.get(household) {
            Some(h) => format!("{}{:04}", self.villages[h.village as usize].code, h.seq),
            None => String::new(),
        }
    }

    /// Finds a household by its number.
    pub fn household_by_number(&self, number: &str) -> Option<usize> {
        if number.len() != 16 || !number.is_ascii() {
            return None;
        }
        let village = &self.villages[self.village_index(&number[..12])?];
        let seq: u32 = number[12..].parse().ok()?;
        let index = village.households.start + seq.checked_sub(1)?;
        (index < village.households.end).then_some(index as usize)
    }

    /// The registered address (户籍地址) of a person's household.
    pub fn address(&self, person: &Person) -> String {
        let seq = self
            .households
            .get(person.household as usize)
            .map_or(0, |h| h.seq);
        format!(
            "{}{}组{}号",
            self.village_of(person).address(),
            seq.saturating_sub(1) / 30 + 1,
            seq
        )
    }

    /// The name a department holds for the person at `index`: the register's spelling,
    /// a planted misspelling, and for civil affairs the GBK-stored form.
    pub fn department_name(&self, index: usize, source: NameSource) -> Cow<'_, str> {
        let Some(person) = self.people.get(index) else {
            return Cow::Borrowed("");
        };
        let pos = self
            .name_variants
            .partition_point(|(i, _, _)| (*i as usize) < index);
        if let Some((i, s, name)) = self.name_variants.get(pos)
            && *i as usize == index
            && *s == source
        {
            return Cow::Owned(name.as_str().to_owned());
        }
        match source {
            NameSource::Civil => Cow::Owned(names::gbk_stored_name(person.name.as_str())),
            _ => Cow::Borrowed(person.name.as_str()),
        }
    }

    /// Persons in a household, in register order (head first).
    pub fn household_members(&self, household: usize) -> &[Person] {
        match self.households.get(household) {
            Some(h) => &self.people[h.people.start as usize..h.people.end as usize],
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests;
