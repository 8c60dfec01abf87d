//! Population counts of a village from the resident index: residents with a normal
//! registration, their households, and age bands on the day of the count.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::resident;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::rollup::{self, Count, Source};
use crate::store::StoreError;

/// Age under which a resident counts as a child: the minors rule's 14.
pub const CHILD_AGE: u32 = 14;

/// Recomputes the population rows of each of `villages` as of `now`.
pub async fn recompute(
    db: &impl ConnectionTrait,
    villages: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let today = now.date_naive();
    for village in villages {
        let people: Vec<(NaiveDate, String)> = resident::Entity::find()
            .select_only()
            .column(resident::Column::BirthDate)
            .column(resident::Column::HouseholdNumber)
            .filter(resident::Column::VillageCode.eq(village.as_str()))
            .filter(resident::Column::Status.eq("normal"))
            .into_tuple()
            .all(db)
            .await?;
        rollup::replace(
            db,
            village,
            Source::Population,
            &counts(&people, today),
            now,
        )
        .await?;
    }
    Ok(())
}

/// The counts of one village's people (birth date, household number) on `today`.
pub fn counts(people: &[(NaiveDate, String)], today: NaiveDate) -> Vec<Count> {
    let ages: Vec<u32> = people
        .iter()
        .map(|(born, _)| age_on(*born, today))
        .collect();
    let mut households: std::collections::BTreeMap<&str, usize> = Default::default();
    for (_, household) in people {
        *households.entry(household.as_str()).or_default() += 1;
    }
    let living_alone_60_plus = people
        .iter()
        .zip(&ages)
        .filter(|((_, household), age)| {
            **age >= 60 && households.get(household.as_str()) == Some(&1)
        })
        .count() as i64;
    let at_least = |n: u32| ages.iter().filter(|&&a| a >= n).count() as i64;
    vec![
        Count::now("residents", people.len() as i64),
        Count::now("households", households.len() as i64),
        Count::now("aged_60_plus", at_least(60)),
        Count::now("aged_80_plus", at_least(80)),
        Count::now("living_alone_60_plus", living_alone_60_plus),
        Count::now(
            "children",
            ages.iter().filter(|&&a| a < CHILD_AGE).count() as i64,
        ),
    ]
}

/// Whole years from `born` to `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> u32 {
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// The villages with anyone in the index under `prefix` (a region code's natural digits).
pub async fn villages_in(
    db: &impl ConnectionTrait,
    prefix: &str,
) -> Result<Vec<String>, StoreError> {
    let villages: Vec<String> = resident::Entity::find()
        .select_only()
        .column(resident::Column::VillageCode)
        .distinct()
        .filter(resident::Column::VillageCode.starts_with(prefix))
        .into_tuple()
        .all(db)
        .await?;
    Ok(villages)
}
