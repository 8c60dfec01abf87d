//! The indicators a snapshot publishes, each defined by what it counts, where the count
//! comes from and how fresh it is. The same list documents the schema and the README.

use chrono::{Datelike, NaiveDate};

/// Alert kinds, as screening codes them.
pub const ALERT_KINDS: [&str; 12] = [
    "DECEASED_STILL_PAID",
    "ASSISTANCE_NOT_INSURED",
    "ELDERLY_NO_ALLOWANCE",
    "SEVERE_DISABILITY_NO_NURSING",
    "PENSION_CERT_OVERDUE",
    "ID_CARD_EXPIRED",
    "NAME_MISMATCH",
    "NAME_ENCODING_LOSS",
    "VETERAN_NO_CARD",
    "NO_FAMILY_DOCTOR",
    "RELAPSE_UNEMPLOYED_NO_HELP",
    "DECEASED_STILL_LISTED",
];

/// Coverage shares (measures 2–4): a denominator and its two parts, as screening counts
/// them ([`crate::screening::coverage`]).
pub const COVERAGE_SHARES: [(&str, &str, &str); 5] = [
    ("screened", "medically_insured", "not_medically_insured"),
    ("screened", "id_card_valid", "id_card_not_valid"),
    (
        "pension_age",
        "pension_in_payment",
        "pension_not_in_payment",
    ),
    ("elderly", "old_age_allowance", "no_old_age_allowance"),
    ("severely_disabled", "nursing_subsidy", "no_nursing_subsidy"),
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
            // A denominator shared by two shares is one indicator.
            if let Some(known) = list.iter().position(|i: &Indicator| i.key == key) {
                return known;
            }
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
    // Each share is published as its two parts, so that a small difference ("41 of 43
    // paid": the 2 who are not) is a small cell suppression sees.
    for (total, yes, no) in COVERAGE_SHARES {
        let total = push(&mut list, "coverage", total, None);
        let parts = [yes, no]
            .iter()
            .map(|metric| push(&mut list, "coverage", metric, None))
            .collect();
        groups.push((total, parts));
    }
    for programme in crate::domain::views::Programme::ALL {
        push(
            &mut list,
            "coverage",
            &format!("recipients.{}", programme.code()),
            None,
        );
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
        "coverage.screened",
        "Residents with a normal registration whom the last screening of their village checked with every department (source: screening runs, which count coverage per village from the answers they already hold; fresh as of the village's last screening). The denominator of medical insurance and ID-card coverage.",
    ),
    (
        "coverage.medically_insured",
        "Of those, enrolled in basic medical insurance with a normal status (正常参保) in the medical insurance platform; coverage.not_medically_insured the rest. Enrolment rate: medically_insured ÷ screened.",
    ),
    (
        "coverage.id_card_valid",
        "Of those, holding a resident ID card valid on the day of the run (long-term or not yet expired), as public security records it; coverage.id_card_not_valid the rest (expired, or no card).",
    ),
    (
        "coverage.pension_age",
        "Screened residents aged 60 or more, the age of the resident pension (城乡居民基本养老保险). Employee pensions may start earlier (women at 50 or 55); they are counted from 60 too, so the share reads: of the residents aged 60 or more, how many are paid a pension.",
    ),
    (
        "coverage.pension_in_payment",
        "Of those, with a pension in payment (any scheme) as social security records it; coverage.pension_not_in_payment the rest.",
    ),
    (
        "coverage.elderly",
        "Screened residents of the old-age allowance age (80 by default, the screening setting elderly_age).",
    ),
    (
        "coverage.old_age_allowance",
        "Of those, paid the old-age allowance (高龄津贴) as civil affairs records it; coverage.no_old_age_allowance the rest.",
    ),
    (
        "coverage.severely_disabled",
        "Screened residents with a grade 1 or 2 disability, as known to civil affairs (the disability recorded with any of their assistance programmes; a disability civil affairs does not know of is not counted).",
    ),
    (
        "coverage.nursing_subsidy",
        "Of those, paid the nursing subsidy for the severely disabled (重度残疾人护理补贴); coverage.no_nursing_subsidy the rest.",
    ),
    (
        "coverage.recipients.PROGRAMME",
        "Screened residents paid by one assistance programme (dibao, extremely_poor, temporary, disability_living, severe_disability_nursing, old_age_allowance, child_in_difficulty), as civil affairs records it.",
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
