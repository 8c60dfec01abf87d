//! The province's dashboard at full size: rollups for every village and community of
//! Jilin (11,860 leaves of the division tree), a snapshot taken from them (time, and the
//! size of what it publishes), then the release hub serving `statistics` of the province
//! with its nine cities, and an interactive request's latency while a snapshot is taken
//! against its latency with none.
//!
//! The counts are synthetic (a seeded generator, shaped like a village of ~250 people with
//! a year of requests, alerts and visits): what is measured is the hub's own work on a
//! province's worth of rollups, not any department.
//!
//! Run with `cargo bench --bench statistics`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use chrono::{Datelike, Utc};
use common::{Hub, SECRET, block_on, hub_settings, pct};
use cunhub::{
    auth::{AuthSettings, Role, TokenRequest, mint_development_token},
    domain::RegionCode,
    statistics::{
        Published,
        indicators::{self, ALERT_KINDS, DEPARTMENTS, KEY_GROUPS, REQUEST_METRICS},
        rollup::{self, Count, DAYS_TO_HANDLE, DAYS_TO_RESOLVE, LAST_VISIT, Source},
    },
    store::{self, DatabaseSettings},
};
use entities::region;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use secrecy::SecretString;
use serde_json::{Value, json};

const PROVINCE_QUERY: &str = "query($r: String!) { statistics(region: $r) { takenAt region { code figures { indicator value state } medians { indicator value state } } children { code name figures { indicator value state } } } }";
/// An interactive request that touches the database but no department.
const PROBE: &str =
    r#"query { region(code: "220122") { name children(first: 30) { nodes { code name } } } }"#;

fn main() {
    block_on(run());
}

fn dashboard_token() -> String {
    let settings = AuthSettings {
        hs256_secret: Some(SecretString::from(SECRET)),
        ..AuthSettings::default()
    };
    mint_development_token(
        &settings,
        &TokenRequest {
            subject: Some("bench-dashboard".into()),
            role: Role::Dashboard,
            region: RegionCode::parse("22").unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(3600),
        },
    )
    .unwrap()
}

fn config(dir: &std::path::Path, snapshot_interval: &str) -> String {
    format!(
        "{}[statistics]\nsnapshot_interval = \"{snapshot_interval}\"\n",
        hub_settings(dir)
    )
}

/// A village's rollups, shaped like a village of about 250 people over a year.
fn village_counts(
    rng: &mut ChaCha8Rng,
    months: &[String],
    today: chrono::NaiveDate,
) -> Vec<(Source, Vec<Count>)> {
    let residents = rng.random_range(60..450i64);
    let share = |rng: &mut ChaCha8Rng, of: i64, p: f64| {
        ((of as f64) * p * rng.random_range(0.7..1.3))
            .round()
            .min(of as f64) as i64
    };
    let aged_60 = share(rng, residents, 0.24);
    let aged_80 = share(rng, aged_60, 0.15);
    let population = vec![
        Count::now("residents", residents),
        Count::now("households", share(rng, residents, 0.38)),
        Count::now("aged_60_plus", aged_60),
        Count::now("aged_80_plus", aged_80),
        Count::now("children", share(rng, residents, 0.12)),
        Count::now("living_alone_60_plus", share(rng, aged_60, 0.1)),
    ];
    let mut coverage = Vec::new();
    for (total, yes, no, n, p) in [
        (
            "screened",
            "medically_insured",
            "not_medically_insured",
            residents,
            0.96,
        ),
        (
            "screened",
            "id_card_valid",
            "id_card_not_valid",
            residents,
            0.9,
        ),
        (
            "pension_age",
            "pension_in_payment",
            "pension_not_in_payment",
            aged_60,
            0.93,
        ),
        (
            "elderly",
            "old_age_allowance",
            "no_old_age_allowance",
            aged_80,
            0.9,
        ),
        (
            "severely_disabled",
            "nursing_subsidy",
            "no_nursing_subsidy",
            share(rng, residents, 0.02),
            0.85,
        ),
    ] {
        let covered = share(rng, n, p);
        if !coverage.iter().any(|c: &Count| c.metric == total) {
            coverage.push(Count::now(total, n));
        }
        coverage.push(Count::now(yes, covered));
        coverage.push(Count::now(no, n - covered));
    }
    coverage.push(Count::now(
        "assistance_recipients",
        share(rng, residents, 0.05),
    ));
    let mut alerts = Vec::new();
    let mut open = 0;
    for kind in ALERT_KINDS {
        let n = rng.random_range(0..4i64);
        open += n;
        alerts.push(Count::now(kind, n));
    }
    alerts.push(Count::now("open", open));
    alerts.push(Count::in_month("found", months[11].clone(), open));
    let mut handling = Vec::new();
    let mut requests = Vec::new();
    let mut visits = Vec::new();
    for month in months {
        let opened = rng.random_range(0..6i64);
        for metric in REQUEST_METRICS {
            requests.push(Count::in_month(
                metric,
                month.clone(),
                share(rng, opened, 0.5),
            ));
        }
        requests.push(Count::in_month("opened", month.clone(), opened));
        let department = DEPARTMENTS[rng.random_range(0..4usize)];
        requests.push(Count::in_month(
            format!("routed.{department}"),
            month.clone(),
            opened / 2,
        ));
        requests.push(Count::in_month(
            format!("in_time.{department}"),
            month.clone(),
            opened / 2,
        ));
        for level in indicators::STEP_LEVELS {
            requests.push(Count::in_month(
                format!("steps.{level}"),
                month.clone(),
                opened,
            ));
            requests.push(Count::in_month(
                format!("steps_on_time.{level}"),
                month.clone(),
                opened,
            ));
        }
        requests.push(Count::in_month(
            format!("{DAYS_TO_RESOLVE}{}", rng.random_range(1..9)),
            month.clone(),
            opened / 2,
        ));
        requests.push(Count::in_month(
            "item.opened.JL-MZ-003",
            month.clone(),
            opened,
        ));
        requests.push(Count::in_month(
            "item.in_time.JL-MZ-003",
            month.clone(),
            opened,
        ));
        let handled = rng.random_range(0..3i64);
        handling.push(Count::in_month("handled", month.clone(), handled));
        handling.push(Count::in_month(
            "handled.ACKNOWLEDGED",
            month.clone(),
            handled,
        ));
        handling.push(Count::in_month(
            format!("{DAYS_TO_HANDLE}{}", rng.random_range(0..20)),
            month.clone(),
            handled,
        ));
        visits.push(Count::in_month(
            "visits",
            month.clone(),
            rng.random_range(0..20i64),
        ));
    }
    for group in KEY_GROUPS {
        for _ in 0..rng.random_range(0..4) {
            let day = today - chrono::Days::new(rng.random_range(0..200));
            visits.push(Count::in_month(
                format!("{LAST_VISIT}{group}"),
                day.format("%Y-%m-%d").to_string(),
                rng.random_range(1..6i64),
            ));
        }
    }
    // Counts of one metric and period add up, as a source's rows would.
    let merge = |counts: Vec<Count>| {
        let mut merged = std::collections::BTreeMap::<(String, String), i64>::new();
        for c in counts {
            *merged.entry((c.metric, c.period)).or_default() += c.value;
        }
        merged
            .into_iter()
            .map(|((metric, period), value)| Count::in_month(metric, period, value))
            .collect()
    };
    vec![
        (Source::Population, population),
        (Source::Coverage, coverage),
        (Source::Alerts, alerts),
        (Source::AlertHandling, merge(handling)),
        (Source::Requests, merge(requests)),
        (Source::Visits, merge(visits)),
    ]
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let db = store::connect(&DatabaseSettings {
        url: format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
        max_connections: 4,
    })
    .await
    .unwrap();
    cunhub::startup::prepare_database(&db).await.unwrap();
    let villages: Vec<String> = region::Entity::find()
        .filter(region::Column::Level.is_in(["village", "community", "other"]))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect();
    let now = Utc::now();
    let today = now.date_naive();
    let months = indicators::last_twelve_months(today);
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(today.ordinal()));
    let filled = Instant::now();
    let mut rows = 0;
    for chunk in villages.chunks(500) {
        let txn = db.begin().await.unwrap();
        for village in chunk {
            for (source, counts) in village_counts(&mut rng, &months, today) {
                rows += counts.iter().filter(|c| c.value != 0).count();
                rollup::replace(&txn, village, source, &counts, now)
                    .await
                    .unwrap();
            }
        }
        txn.commit().await.unwrap();
    }
    println!(
        "rollups: {} leaves of the division tree, {rows} rows, written in {:.1} s",
        villages.len(),
        filled.elapsed().as_secs_f64()
    );

    let published = Published::default();
    let mut takes = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let snapshot = published.take(&db, 5, Utc::now()).await.unwrap();
        takes.push(started.elapsed().as_secs_f64());
        let cells = snapshot.regions.len() * snapshot.keys.len();
        let withheld = snapshot
            .regions
            .values()
            .flat_map(|r| r.marks.iter())
            .filter(|m| **m != cunhub::statistics::suppress::Mark::Published)
            .count();
        println!(
            "snapshot: {} regions × {} indicators = {cells} cells, {withheld} withheld, taken in {:.2} s",
            snapshot.regions.len(),
            snapshot.keys.len(),
            started.elapsed().as_secs_f64()
        );
    }
    db.close().await.unwrap();

    let exe = env!("CARGO_BIN_EXE_cunhub");
    let client = reqwest::Client::new();
    let token = dashboard_token();
    let call = |url: String, query: &'static str, variables: Value| {
        let client = client.clone();
        let token = token.clone();
        async move {
            let started = Instant::now();
            let body: Value = client
                .post(format!("{url}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(body["errors"].is_null(), "{body}");
            (started.elapsed().as_secs_f64() * 1000.0, body)
        }
    };

    // Reads of the province, served from the stored snapshot.
    let quiet = dir.path().join("quiet.toml");
    std::fs::write(&quiet, config(dir.path(), "1h")).unwrap();
    let mut hub = Hub::start(exe, &quiet, Stdio::inherit());
    let (_, first) = call(hub.url.clone(), PROVINCE_QUERY, json!({ "r": "22" })).await;
    let children = first["data"]["statistics"]["children"]
        .as_array()
        .map_or(0, Vec::len);
    let bytes = first.to_string().len();
    let mut province = Vec::new();
    for _ in 0..200 {
        province.push(
            call(hub.url.clone(), PROVINCE_QUERY, json!({ "r": "22" }))
                .await
                .0,
        );
    }
    let mut county = Vec::new();
    for _ in 0..200 {
        county.push(
            call(hub.url.clone(), PROVINCE_QUERY, json!({ "r": "220122" }))
                .await
                .0,
        );
    }
    let mut probe_idle = Vec::new();
    for _ in 0..400 {
        probe_idle.push(call(hub.url.clone(), PROBE, json!({})).await.0);
    }
    let (_, peak) = hub.memory();
    hub.stop();
    println!(
        "statistics(region: \"22\"): {children} cities, {bytes} bytes; p50 {:.1} ms, p99 {:.1} ms over 200 reads",
        pct(&province, 50.0),
        pct(&province, 99.0)
    );
    println!(
        "statistics(region: \"220122\"): p50 {:.1} ms, p99 {:.1} ms over 200 reads",
        pct(&county, 50.0),
        pct(&county, 99.0)
    );
    println!(
        "hub peak resident memory serving the province's snapshot: {} MiB",
        peak / 1024
    );

    // The same probe while the hub takes a snapshot of the province: the first one starts
    // 100 ms after start-up and lasts longer than the probing window.
    let busy = dir.path().join("busy.toml");
    std::fs::write(&busy, config(dir.path(), "100ms")).unwrap();
    let mut hub = Hub::start(exe, &busy, Stdio::inherit());
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut probe_busy = Vec::new();
    while window.elapsed() < Duration::from_secs(20) {
        probe_busy.push(call(hub.url.clone(), PROBE, json!({})).await.0);
    }
    let (_, busy_peak) = hub.memory();
    hub.stop();
    let hourly = takes.iter().copied().fold(f64::MAX, f64::min);
    println!(
        "interactive probe: idle p50 {:.2} ms p99 {:.2} ms; while a snapshot is taken p50 {:.2} ms p99 {:.2} ms ({} probes; peak {} MiB)",
        pct(&probe_idle, 50.0),
        pct(&probe_idle, 99.0),
        pct(&probe_busy, 50.0),
        pct(&probe_busy, 99.0),
        probe_busy.len(),
        busy_peak / 1024
    );
    println!(
        "an hourly snapshot of {hourly:.2} s keeps the hub busy {:.3} % of the hour",
        hourly / 36.0
    );
}
