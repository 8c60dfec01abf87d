//! The official working-day calendar: weekdays work and weekends rest, except for the
//! public holidays and make-up working days (调休) the State Council announces each year.
//! Shipped as data for the current and next year; an operator imports later years. Owns
//! the table `calendar_day`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use entities::calendar_day;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
use serde::Deserialize;

use super::clock::CHINA;
use crate::store::StoreError;

/// The calendars shipped in the binary.
const SHIPPED: [&str; 2] = [
    include_str!("../../data/calendar/2026.toml"),
    include_str!("../../data/calendar/2027.toml"),
];

/// A calendar file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file: {0}")]
    Format(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[allow(dead_code)]
    source: String,
    #[serde(default)]
    #[allow(dead_code)]
    provisional: bool,
    #[serde(default)]
    holidays: Vec<HolidayForm>,
    #[serde(default)]
    working_days: Vec<WorkingDayForm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayForm {
    from: NaiveDate,
    to: NaiveDate,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkingDayForm {
    date: NaiveDate,
    name: String,
}

/// One exception to the weekly rhythm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    pub day: NaiveDate,
    pub working: bool,
    pub name: String,
}

/// Reads a calendar file (the format of `data/calendar/2026.toml`): every date must lie in
/// the year it declares, and a holiday range must run forwards.
pub fn parse_year(text: &str) -> Result<Vec<SpecialDay>, CalendarError> {
    let file: YearFile = toml::from_str(text).map_err(|e| CalendarError::Format(e.to_string()))?;
    let mut days = Vec::new();
    for holiday in &file.holidays {
        if holiday.to < holiday.from {
            return Err(CalendarError::Format(format!(
                "holiday {} ends ({}) before it starts ({})",
                holiday.name, holiday.to, holiday.from
            )));
        }
        let mut day = holiday.from;
        while day <= holiday.to {
            days.push(SpecialDay {
                day,
                working: false,
                name: holiday.name.clone(),
            });
            day = day
                .checked_add_days(Days::new(1))
                .ok_or_else(|| CalendarError::Format("date out of range".into()))?;
        }
    }
    for working in &file.working_days {
        days.push(SpecialDay {
            day: working.date,
            working: true,
            name: working.name.clone(),
        });
    }
    if let Some(stray) = days.iter().find(|d| d.day.year() != file.year) {
        return Err(CalendarError::Format(format!(
            "{} is not in the year {}",
            stray.day, file.year
        )));
    }
    Ok(days)
}

/// Writes special days into the hub's calendar, replacing what it held for those dates.
pub async fn import(db: &impl ConnectionTrait, days: &[SpecialDay]) -> Result<usize, StoreError> {
    if days.is_empty() {
        return Ok(0);
    }
    let rows = days.iter().map(|d| calendar_day::ActiveModel {
        day: Set(d.day),
        working: Set(d.working),
        name: Set(d.name.clone()),
    });
    calendar_day::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(calendar_day::Column::Day)
                .update_columns([calendar_day::Column::Working, calendar_day::Column::Name])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(days.len())
}

/// Loads the shipped years into an empty calendar (idempotent; an operator's later imports
/// of the same dates win).
pub async fn seed(db: &impl ConnectionTrait) -> Result<usize, CalendarError> {
    let mut loaded = 0;
    for text in SHIPPED {
        let days = parse_year(text)?;
        let mut fresh = Vec::new();
        for day in days {
            if calendar_day::Entity::find_by_id(day.day)
                .one(db)
                .await
                .map_err(StoreError::from)?
                .is_none()
            {
                fresh.push(day);
            }
        }
        loaded += import(db, &fresh).await?;
    }
    Ok(loaded)
}

/// The calendar in memory, for counting working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    special: HashMap<NaiveDate, bool>,
}

impl Calendar {
    pub fn from_days(days: impl IntoIterator<Item = SpecialDay>) -> Self {
        Self {
            special: days.into_iter().map(|d| (d.day, d.working)).collect(),
        }
    }

    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, StoreError> {
        let rows = calendar_day::Entity::find().all(db).await?;
        Ok(Self {
            special: rows.into_iter().map(|r| (r.day, r.working)).collect(),
        })
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.special.get(&day) {
            Some(working) => *working,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (the start day itself does not count).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not later).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|day| *day <= to)
            .filter(|day| self.is_working_day(*day))
            .count() as u32
    }

    /// The deadline of a step of `n` working days begun at `at`: the end of the `n`-th
    /// working day after the day it began, in China.
    pub fn deadline(&self, at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let begun = at.with_timezone(&CHINA).date_naive();
        let last = self.add_working_days(begun, n.max(1));
        let end = last.succ_opt().unwrap_or(last);
        end.and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(CHINA).single())
            .map(|local| local.with_timezone(&Utc))
            .unwrap_or(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn shipped() -> Calendar {
        let mut days = Vec::new();
        for text in SHIPPED {
            days.extend(parse_year(text).unwrap());
        }
        Calendar::from_days(days)
    }

    #[test]
    fn the_shipped_2026_calendar_has_the_announced_days() {
        let days = parse_year(SHIPPED[0]).unwrap();
        let holidays = days.iter().filter(|d| !d.working).count();
        let working = days.iter().filter(|d| d.working).count();
        // 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; 6 make-up working days.
        assert_eq!((holidays, working), (33, 6));
    }

    #[test]
    fn spring_festival_is_off_and_the_make_up_saturdays_work() {
        let calendar = shipped();
        assert!(
            calendar.is_working_day(day("2026-02-14")),
            "Saturday 14 Feb works"
        );
        assert!(
            !calendar.is_working_day(day("2026-02-16")),
            "Monday 16 Feb is off"
        );
        assert!(
            calendar.is_working_day(day("2026-02-28")),
            "Saturday 28 Feb works"
        );
        assert!(
            !calendar.is_working_day(day("2026-03-01")),
            "an ordinary Sunday"
        );
        // Friday 13 Feb + 2 working days: Saturday 14, then Tuesday 24 after the festival.
        assert_eq!(
            calendar.add_working_days(day("2026-02-13"), 2),
            day("2026-02-24")
        );
        // Thursday 26 Feb + 2: Friday 27, make-up Saturday 28.
        assert_eq!(
            calendar.add_working_days(day("2026-02-26"), 2),
            day("2026-02-28")
        );
    }

    #[test]
    fn a_deadline_ends_at_midnight_in_china() {
        let calendar = shipped();
        // Opened Friday 13 Feb 2026 at 17:00 in China (09:00 UTC), 1 working day: due at
        // the end of Saturday 14 Feb (make-up day), i.e. 16:00 UTC that day.
        let at = "2026-02-13T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let due = calendar.deadline(at, 1);
        assert_eq!(due.to_rfc3339(), "2026-02-14T16:00:00+00:00");
    }

    #[test]
    fn a_date_outside_the_declared_year_is_refused() {
        let text =
            "year = 2028\nsource = \"x\"\nworking_days = [{ date = \"2027-01-02\", name = \"x\" }]";
        assert!(matches!(parse_year(text), Err(CalendarError::Format(_))));
    }
}
