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

/// Levels whose answers to a service-request step are timed (`steps.LEVEL`).
pub const STEP_LEVELS: [&str; 3] = ["village", "township", "department"];

/// Alert follow-up states counted as handled (`alerts.handled.STATE`).
pub const HANDLED_STATES: [&str; 3] = ["ACKNOWLEDGED", "DISMISSED", "REQUEST_OPENED"];

/// Key groups with a known size, and the indicator that counts it: the denominators of
/// "visited within 30 / 90 days". The other groups are not known to the hub's sources,
/// so only their visited residents are counted.
pub const KEY_GROUP_SIZES: [(&str, &str); 3] = [
    ("ELDERLY_LIVING_ALONE", "population.living_alone_60_plus"),
    ("SEVERELY_DISABLED", "coverage.severely_disabled"),
    ("ASSISTANCE_RECIPIENT", "coverage.assistance_recipients"),
];

/// Days within which a key group's residents count as visited.
pub const VISIT_WINDOWS: [i64; 2] = [30, 90];

/// Rating levels of resolved requests (好差评), best first, as the workflow codes them;
/// the last two are the poor ratings the township must answer.
pub const SATISFACTION_LEVELS: [&str; 5] = [
    "VERY_SATISFIED",
    "SATISFIED",
    "FAIRLY_SATISFIED",
    "DISSATISFIED",
    "VERY_DISSATISFIED",
];

/// One published indicator: its key in a snapshot, and where it comes from in the rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// e.g. `population.aged_80_plus`, `requests.opened`, `requests.opened@2026-05`.
    pub key: String,
    /// The rollup source its counts come from (`village_rollup.source`).
    pub source: &'static str,
    pub metric: String,
    /// A month (`YYYY-MM`); `None`: the current state, or the last 12 months together.
    pub month: Option<String>,
}

/// A median published beside the counts, from a distribution in the rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedianIndicator {
    pub key: &'static str,
    pub source: &'static str,
    /// The distribution's metric prefix (`PREFIX{n}` counts the values equal to `n`).
    pub prefix: &'static str,
}

/// The medians a snapshot publishes, over the last 12 months.
pub const MEDIANS: [MedianIndicator; 2] = [
    MedianIndicator {
        key: "alerts.median_days_to_handle",
        source: "alert_handling",
        prefix: super::rollup::DAYS_TO_HANDLE,
    },
    MedianIndicator {
        key: "requests.median_working_days_to_resolve",
        source: "requests",
        prefix: super::rollup::DAYS_TO_RESOLVE,
    },
];

/// Public figures: counts of the service catalogue, not of persons, never withheld.
pub const CATALOGUE_LEVELS: [(&str, &str); 3] = [
    ("catalogue.provincial", "PROVINCIAL_REFERENCE"),
    ("catalogue.municipal", "MUNICIPAL_GUIDANCE"),
    ("catalogue.county", "COUNTY_BASIC"),
];

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

/// The list of indicators being built, and the `total = Σ parts` groups between them.
#[derive(Default)]
struct Builder {
    list: Vec<Indicator>,
    groups: Vec<(usize, Vec<usize>)>,
}

impl Builder {
    /// Adds `section.metric[@month]` counted from `source`, once.
    fn push(
        &mut self,
        section: &str,
        source: &'static str,
        metric: &str,
        month: Option<&str>,
    ) -> usize {
        let key = match month {
            Some(m) => format!("{section}.{metric}@{m}"),
            None => format!("{section}.{metric}"),
        };
        // A denominator shared by two shares is one indicator.
        if let Some(known) = self.list.iter().position(|i| i.key == key) {
            return known;
        }
        self.list.push(Indicator {
            key,
            source,
            metric: metric.to_owned(),
            month: month.map(str::to_owned),
        });
        self.list.len() - 1
    }

    /// A total and its parts, published together.
    fn group(&mut self, section: &str, source: &'static str, total: &str, parts: &[String]) {
        let total = self.push(section, source, total, None);
        let parts = parts
            .iter()
            .map(|part| self.push(section, source, part, None))
            .collect();
        self.groups.push((total, parts));
    }

    /// A count over the last twelve months and its twelve months.
    fn monthly(&mut self, section: &str, source: &'static str, metric: &str, months: &[String]) {
        let total = self.push(section, source, metric, None);
        let parts = months
            .iter()
            .map(|m| self.push(section, source, metric, Some(m)))
            .collect();
        self.groups.push((total, parts));
    }
}

/// Every indicator of a snapshot taken on `today` with requests for `items` and ratings
/// of `rated_items` (catalogue codes), and the groups `total = Σ parts` between them (by
/// index).
pub fn catalogue(
    today: NaiveDate,
    items: &[String],
    rated_items: &[String],
) -> (Vec<Indicator>, Vec<(usize, Vec<usize>)>) {
    let mut b = Builder::default();
    for metric in [
        "residents",
        "households",
        "aged_60_plus",
        "aged_80_plus",
        "children",
        "living_alone_60_plus",
    ] {
        b.push("population", "population", metric, None);
    }
    // Each share is published as its two parts, so that a small difference ("41 of 43
    // paid": the 2 who are not) is a small cell suppression sees.
    for (total, yes, no) in COVERAGE_SHARES {
        b.group(
            "coverage",
            "coverage",
            total,
            &[yes.to_owned(), no.to_owned()],
        );
    }
    for programme in crate::domain::views::Programme::ALL {
        b.push(
            "coverage",
            "coverage",
            &format!("recipients.{}", programme.code()),
            None,
        );
    }
    b.push("coverage", "coverage", "assistance_recipients", None);
    let kinds: Vec<String> = ALERT_KINDS.iter().map(|k| (*k).to_owned()).collect();
    b.group("alerts", "alerts", "open", &kinds);
    let months = last_twelve_months(today);
    b.monthly("alerts", "alerts", "found", &months);
    b.monthly("alerts", "alert_handling", "handled", &months);
    let states: Vec<String> = HANDLED_STATES
        .iter()
        .map(|s| format!("handled.{s}"))
        .collect();
    b.group("alerts", "alert_handling", "handled", &states);
    for metric in REQUEST_METRICS {
        b.monthly("requests", "requests", metric, &months);
    }
    for level in STEP_LEVELS {
        b.group(
            "requests",
            "requests",
            &format!("steps.{level}"),
            &[
                format!("steps_on_time.{level}"),
                format!("steps_late.{level}"),
            ],
        );
    }
    for department in DEPARTMENTS {
        b.group(
            "requests",
            "requests",
            &format!("routed.{department}"),
            &[
                format!("late.{department}"),
                format!("in_time.{department}"),
            ],
        );
        for verdict in ["on_time", "late"] {
            let metric = format!("steps_{verdict}.department.{department}");
            b.push("requests", "requests", &metric, None);
        }
    }
    for item in items {
        b.group(
            "requests",
            "requests",
            &format!("item.opened.{item}"),
            &[format!("item.late.{item}"), format!("item.in_time.{item}")],
        );
        b.push(
            "requests",
            "requests",
            &format!("item.resolved.{item}"),
            None,
        );
    }
    b.monthly("visits", "visits", "visits", &months);
    for group in KEY_GROUPS {
        for days in VISIT_WINDOWS {
            b.push("visits", "visits", &format!("within_{days}.{group}"), None);
        }
    }
    // Where the group's size is known, the residents not visited are a cell too, and
    // the size is the sum of the two.
    for (group, size) in KEY_GROUP_SIZES {
        let Some(total) = b.list.iter().position(|i| i.key == size) else {
            continue;
        };
        for days in VISIT_WINDOWS {
            let visited = b.push("visits", "visits", &format!("within_{days}.{group}"), None);
            let not = b.push(
                "visits",
                "visits",
                &format!("not_within_{days}.{group}"),
                None,
            );
            b.groups.push((total, vec![visited, not]));
        }
    }
    // Ratings of resolved requests: the five levels, and per department and per rated
    // catalogue item rated as satisfied (the three upper levels) or not, each total with
    // its parts.
    let levels: Vec<String> = SATISFACTION_LEVELS
        .iter()
        .map(|l| (*l).to_owned())
        .collect();
    b.group("satisfaction", "satisfaction", "rated", &levels);
    let rated = DEPARTMENTS
        .iter()
        .map(|d| (*d).to_owned())
        .chain(rated_items.iter().map(|item| format!("item.{item}")));
    for of in rated {
        b.group(
            "satisfaction",
            "satisfaction",
            &format!("rated.{of}"),
            &[format!("satisfied.{of}"), format!("dissatisfied.{of}")],
        );
    }
    (b.list, b.groups)
}

/// The definitions as the README's Markdown table.
pub fn definitions_table() -> String {
    let mut table = String::from("| indicator | what it counts |\n|---|---|\n");
    for (key, definition) in DEFINITIONS {
        table.push_str(&format!(
            "| `{key}` | {} |\n",
            definition.replace('|', "\\|")
        ));
    }
    table
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
        "population.living_alone_60_plus",
        "Of those residents, aged 60 or more and the only member of their household in the index: the key group of elderly living alone as registration shows it (a household registered together but living apart is not seen).",
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
        "coverage.assistance_recipients",
        "Screened residents paid the minimum living allowance or support for the extremely poor (低保、特困) as civil affairs records it: the key group of assistance recipients.",
    ),
    (
        "alerts.open",
        "Alerts the last screening of the village found, all kinds (source: screening runs; fresh as of the village's last screening). Per 1,000 residents: divide by population.residents.",
    ),
    (
        "alerts.found",
        "Of those alerts, the ones first found in the last 12 months; alerts.found@YYYY-MM by the month a screening first found them.",
    ),
    (
        "alerts.handled",
        "Alerts followed up in the last 12 months (alerts.handled@YYYY-MM by month), and by the follow-up's state now: alerts.handled.ACKNOWLEDGED (已知悉), alerts.handled.DISMISSED (误报), alerts.handled.REQUEST_OPENED (turned into a service request) (source: the follow-ups, recomputed for a village at each one).",
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
        "requests.steps.LEVEL",
        "Steps of service requests answered in the last 12 months by LEVEL (village, township, department): a step begins when the request comes to the level's turn with its working-day deadline and ends at the level's next action; requests.steps_on_time.LEVEL the ones answered by the deadline, requests.steps_late.LEVEL the others. On-time share: steps_on_time ÷ steps.",
    ),
    (
        "requests.routed.DEPT",
        "Requests opened in the last 12 months and routed to the county department DEPT (部门报到).",
    ),
    (
        "requests.late.DEPT",
        "Of those, the ones escalated at least once because a step missed its working-day deadline (requests.in_time.DEPT: never escalated; the two add up to routed). Late share: late ÷ routed.",
    ),
    (
        "requests.steps_on_time.department.DEPT",
        "Department steps answered in the last 12 months by the department DEPT by their deadline (requests.steps_late.department.DEPT: after it): the department's on-time share in the league table.",
    ),
    (
        "requests.item.opened.ITEM",
        "Requests opened in the last 12 months for the catalogue item ITEM; requests.item.resolved.ITEM of those now resolved, requests.item.late.ITEM escalated at least once and requests.item.in_time.ITEM never (the two add up to opened): the league table by catalogue item.",
    ),
    (
        "visits.visits",
        "Visits recorded in the last 12 months (by the day of the visit); visits.visits@YYYY-MM per month (source: the workflow, recomputed for a village at each visit).",
    ),
    (
        "visits.within_30.GROUP",
        "Residents visited as members of the key group GROUP within the 30 days before the snapshot's day (visits.within_90.GROUP: within 90 days); a resident visited twice counts once. Where the hub knows the group's size — population.living_alone_60_plus for ELDERLY_LIVING_ALONE, coverage.severely_disabled for SEVERELY_DISABLED, coverage.assistance_recipients for ASSISTANCE_RECIPIENT — a village's count is capped at that size and visits.not_within_30.GROUP (not_within_90) is the rest of the group, so the two add up to the size; share visited: within ÷ size. The other groups' sizes are not in the hub's sources (source: the workflow's visits, recomputed for a village at each visit; the window is applied on the snapshot's day).",
    ),
    (
        "alerts.median_days_to_handle",
        "Median of the days from an alert's first finding to its follow-up, over the follow-ups of the last 12 months (a median: published only when at least `threshold` values lie behind it).",
    ),
    (
        "requests.median_working_days_to_resolve",
        "Median of the working days (the calendar of the State Council's holidays and make-up days) from opening a service request to its resolution, over the requests resolved in the last 12 months (published only when at least `threshold` values lie behind it).",
    ),
    (
        "catalogue.provincial",
        "Catalogue items of the provincial reference level offered in the region (catalogue.municipal, catalogue.county: of the municipal guidance and county basic levels; for a region above a county, the items of every city or county in it). Public counts of the service catalogue, never withheld.",
    ),
    (
        "satisfaction.rated",
        "Resolved service requests rated by the villager (好差评), by the resident or by the village assistant on their behalf, all time (source: the workflow, recomputed for a village at each rating). A request is rated once, in the village it was opened in.",
    ),
    (
        "satisfaction.LEVEL",
        "Of those, rated at one level: VERY_SATISFIED (非常满意), SATISFIED (满意), FAIRLY_SATISFIED (基本满意), DISSATISFIED (不满意) or VERY_DISSATISFIED (非常不满意); the five add up to satisfaction.rated. Satisfaction rate: the three upper levels ÷ rated.",
    ),
    (
        "satisfaction.rated.DEPT",
        "Rated requests that had been routed to the county department DEPT; satisfaction.satisfied.DEPT the ones rated at one of the three upper levels, satisfaction.dissatisfied.DEPT at one of the two lower (the poor ratings the township answers).",
    ),
    (
        "satisfaction.rated.item.CODE",
        "Rated requests against the catalogue item CODE, with satisfaction.satisfied.item.CODE and satisfaction.dissatisfied.item.CODE as for a department; published for the items that have ratings.",
    ),
];
