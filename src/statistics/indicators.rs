//! The indicators a snapshot publishes, each defined by what it counts, where the count
//! comes from and how fresh it is. The same list documents the schema and the README.

use chrono::{Datelike, NaiveDate};

/// Alert kinds, as screening codes them.
pub const ALERT_KINDS: [&str; 8] = [
    "DECEASED_STILL_PAID",
    "ASSISTANCE_NOT_INSURED",
    "ELDERLY_NO_ALLOWANCE",
    "SEVERE_DISABILITY_NO_NURSING",
    "PENSION_CERT_OVERDUE",
    "ID_CARD_EXPIRED",
    "NAME_MISMATCH",
    "NAME_ENCODING_LOSS",
];

/// Request counts by the month the request was opened.
pub const REQUEST_METRICS: [&str; 7] = [
    "opened",
    "resolved_by_township",
    "routed",
    "resolved",
    "returned",
    "rejected",
    "escalated",
];

/// County departments a request can be routed to (`dept` claims of DOMAIN.md).
pub const DEPARTMENTS: [&str; 13] = [
    "medical_insurance",
    "social_security",
    "civil_affairs",
    "public_security",
    "veterans_affairs",
    "health",
    "agriculture",
    "justice",
    "emergency_management",
    "education",
    "housing",
    "transport",
    "postal",
];

/// Key groups of visits.
pub const KEY_GROUPS: [&str; 8] = [
    "ELDERLY_LIVING_ALONE",
    "SEVERELY_DISABLED",
    "ASSISTANCE_RECIPIENT",
    "POVERTY_MONITORING",
    "LEFT_BEHIND_ELDERLY",
    "LEFT_BEHIND_CHILD",
    "ENTITLED_GROUP",
    "OTHER",
];

/// One published indicator: its key in a snapshot, and where it comes from in the rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// e.g. `population.aged_80_plus`, `requests.opened`, `requests.opened@2026-05`.
    pub key: String,
    pub source: &'static str,
    pub metric: String,
    /// A month (`YYYY-MM`); `None`: the current state, or for a monthly series its
    /// last 12 months together.
    pub month: Option<String>,
}

/// The last twelve months up to and including the month of `today`, oldest first.
pub fn last_twelve_months(today: NaiveDate) -> Vec<String> {
    let mut months = Vec::with_capacity(12);
    let (mut year, mut month) = (today.year(), today.month());
    for _ in 0..12 {
        months.push(format!("{year:04}-{month:02}"));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    months.reverse();
    months
}

/// Every indicator of a snapshot taken on `today`, and the groups `total = Σ parts`
/// between them (by index).
pub fn catalogue(today: NaiveDate) -> (Vec<Indicator>, Vec<(usize, Vec<usize>)>) {
    let mut list = Vec::new();
    let mut groups = Vec::new();
    let push =
        |list: &mut Vec<Indicator>, source: &'static str, metric: &str, month: Option<&str>| {
            let key = match month {
                Some(m) => format!("{source}.{metric}@{m}"),
                None => format!("{source}.{metric}"),
            };
            list.push(Indicator {
                key,
                source,
                metric: metric.to_owned(),
                month: month.map(str::to_owned),
            });
            list.len() - 1
        };
    for metric in [
        "residents",
        "households",
        "aged_60_plus",
        "aged_80_plus",
        "children",
    ] {
        push(&mut list, "population", metric, None);
    }
    let total = push(&mut list, "alerts", "open", None);
    let parts = ALERT_KINDS
        .iter()
        .map(|kind| push(&mut list, "alerts", kind, None))
        .collect();
    groups.push((total, parts));
    let months = last_twelve_months(today);
    for metric in REQUEST_METRICS {
        let total = push(&mut list, "requests", metric, None);
        let parts = months
            .iter()
            .map(|m| push(&mut list, "requests", metric, Some(m)))
            .collect();
        groups.push((total, parts));
    }
    for department in DEPARTMENTS {
        push(&mut list, "requests", &format!("routed.{department}"), None);
        push(&mut list, "requests", &format!("late.{department}"), None);
    }
    let total = push(&mut list, "visits", "visits", None);
    let parts = months
        .iter()
        .map(|m| push(&mut list, "visits", "visits", Some(m)))
        .collect();
    groups.push((total, parts));
    for group in KEY_GROUPS {
        push(&mut list, "visits", &format!("visits.{group}"), None);
    }
    (list, groups)
}

/// What an indicator counts, for the schema and the README: `(key pattern, definition)`.
pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "population.residents",
        "Residents with a normal registration in the resident index (source: synchronisation from household registration; recomputed for a village each time it is synchronised).",
    ),
    (
        "population.households",
        "Distinct household numbers among those residents.",
    ),
    (
        "population.aged_60_plus",
        "Of those residents, aged 60 or more on the day of the count (the resident pension age).",
    ),
    (
        "population.aged_80_plus",
        "Of those residents, aged 80 or more on the day of the count (the old-age allowance age).",
    ),
    (
        "population.children",
        "Of those residents, aged under 14 on the day of the count (the minors rule's age).",
    ),
    (
        "alerts.open",
        "Alerts the last screening of the village found, all kinds (source: screening runs; fresh as of the village's last screening). Per 1,000 residents: divide by population.residents.",
    ),
    (
        "alerts.KIND",
        "The same, of one alert kind (e.g. alerts.ELDERLY_NO_ALLOWANCE).",
    ),
    (
        "requests.METRIC",
        "Service requests opened in the last 12 months (METRIC opened), and of those the ones now resolved by the township, routed to a county department, resolved, returned, rejected, or escalated at least once (source: the workflow, recomputed for a village at each change of its requests).",
    ),
    (
        "requests.METRIC@YYYY-MM",
        "The same, of the requests opened in that month; the twelve months add up to the total.",
    ),
    (
        "requests.routed.DEPT",
        "Requests ever routed to the county department DEPT (部门报到).",
    ),
    (
        "requests.late.DEPT",
        "Of those, the ones escalated at least once because a step missed its working-day deadline. Late share: late ÷ routed.",
    ),
    (
        "visits.visits",
        "Visits recorded in the last 12 months (by the day of the visit); visits.visits@YYYY-MM per month (source: the workflow, recomputed for a village at each visit).",
    ),
    (
        "visits.visits.GROUP",
        "Visits ever recorded for one key group (e.g. visits.visits.ELDERLY_LIVING_ALONE).",
    ),
];
