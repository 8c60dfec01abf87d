//! How much of each department a screening run uses, and what it costs the village app
//! meanwhile: at 20 and at 0 ms department latency, the interactive resident view's p50
//! and p99 with the hub idle, then while the hub screens a township on its schedule
//! (the run and the requests spend the same department budgets: medical insurance's 16
//! calls in flight and 1,000 calls a second, requests first). Run with `cargo bench
//! --bench screening_share`.
//!
//! Reports per latency: the run's report (per department: calls per second against the
//! allowed rate, calls in flight on average against the allowed, and the share of its
//! allowance used, whichever binds), and the interactive latency idle and during the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use cunhub::{
    domain::RegionCode,
    sim::{Department as Sim, GenOptions, Knobs, SimCluster, SimOptions},
};
use serde_json::json;

mod common;
use common::{FULL_VIEW, Hub, TOWNSHIP, block_on, config_file, pct, query, token};

const IDLE_FOR: Duration = Duration::from_secs(10);
/// Reads left out at the start of each probe.
const WARM_UP_READS: usize = 10;

fn main() {
    block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let mut generation = GenOptions::new(
        RegionCode::parse(TOWNSHIP).unwrap(),
        chrono::Local::now().date_naive(),
    );
    generation.people_per_village = 400;
    let mut options = SimOptions::new(generation);
    options.workers = 2;
    options.knobs = Some(Knobs::default());
    let cluster = SimCluster::start(options).await.unwrap();
    cluster
        .knobs(Sim::MedicalInsurance)
        .unwrap()
        .patch(&json!({ "max_in_flight": 16 }))
        .unwrap();
    // The departments are asked on every read: no answer cached. Medical insurance's
    // budget is its platform's: 16 calls in flight, 1,000 a second.
    let settings = config_file(&cluster, dir.path(), "0s")
        .replace(
            "[departments.medical_insurance]\n",
            "[departments.medical_insurance]\nmax_in_flight = 16\nrate_per_sec = 1000\n",
        )
        .replace("[log]\nlevel = \"warn\"", "[log]\nlevel = \"info\"");
    let config = dir.path().join("hub.toml");
    std::fs::write(&config, &settings).unwrap();
    // The same hub, screening the township as soon as it starts.
    let scheduled = dir.path().join("scheduled.toml");
    std::fs::write(
        &scheduled,
        format!("{settings}[screening]\ninterval = \"1h\"\nregion = \"{TOWNSHIP}\"\n"),
    )
    .unwrap();
    let exe = env!("CARGO_BIN_EXE_cunhub");
    common::sync_township(exe, &config);
    println!(
        "{}: {} residents; medical insurance: 16 calls in flight, 1000 a second",
        TOWNSHIP,
        cluster.population.people.len()
    );

    let token = token();
    let people: Arc<Vec<String>> = Arc::new(
        cluster
            .population
            .people
            .iter()
            .filter(|p| p.is_normal())
            .map(|p| p.id_number.as_str().to_owned())
            .collect(),
    );
    for latency in [20u64, 0] {
        for department in Sim::ALL {
            cluster
                .knobs(department)
                .unwrap()
                .patch(&json!({ "latency_ms": latency }))
                .unwrap();
        }
        let mut hub = Hub::start(exe, &config, Stdio::null());
        let idle = probe(&hub.url, &token, &people, Probe::For(IDLE_FOR)).await;
        hub.stop();

        let log_path = dir.path().join(format!("scheduled-{latency}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let started = Instant::now();
        let mut hub = Hub::start(exe, &scheduled, Stdio::from(log));
        let running = Arc::new(AtomicBool::new(true));
        let during = tokio::spawn(probe_owned(
            hub.url.clone(),
            token.clone(),
            people.clone(),
            running.clone(),
        ));
        let report = loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(report) = run_report(&text) {
                break report;
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "no screening report in the log:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        running.store(false, Ordering::Relaxed);
        let during = during.await.unwrap();
        hub.stop();
        println!("\ndepartments at {latency} ms");
        println!("{report}");
        println!(
            "  interactive view (four departments), one client: idle p50 {:.2} ms, p99 {:.2} ms ({} reads); \
             during the run p50 {:.2} ms, p99 {:.2} ms ({} reads): p99 {:+.1} %",
            pct(&idle, 50.0),
            pct(&idle, 99.0),
            idle.len(),
            pct(&during, 50.0),
            pct(&during, 99.0),
            during.len(),
            100.0 * (pct(&during, 99.0) / pct(&idle, 99.0) - 1.0),
        );
    }
}

/// The report the scheduled run logs when it finishes: the line after "screening run
/// finished" and the department lines under it.
fn run_report(log: &str) -> Option<String> {
    let mut lines = log
        .lines()
        .skip_while(|l| !l.contains("screening run finished"));
    lines.next()?;
    let report: Vec<&str> = lines
        .take_while(|l| !l.is_empty() && !l.contains(" INFO ") && !l.contains(" WARN "))
        .collect();
    (report.len() > 1).then(|| report.join("\n"))
}

enum Probe {
    For(Duration),
    While(Arc<AtomicBool>),
}

async fn probe_owned(
    url: String,
    token: String,
    people: Arc<Vec<String>>,
    running: Arc<AtomicBool>,
) -> Vec<f64> {
    probe(&url, &token, &people, Probe::While(running)).await
}

/// One village app reading residents one after another, each a different person.
async fn probe(url: &str, token: &str, people: &[String], how_long: Probe) -> Vec<f64> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut i = 0;
    loop {
        let go_on = match &how_long {
            Probe::For(duration) => started.elapsed() < *duration,
            Probe::While(running) => running.load(Ordering::Relaxed),
        };
        if !go_on {
            return latencies;
        }
        let n = &people[(i * 7919) % people.len()];
        i += 1;
        let t = Instant::now();
        let body = query(&client, url, token, FULL_VIEW, json!({ "n": n })).await;
        assert!(body.get("errors").is_none(), "{body}");
        // The first reads open the connections to the hub and to the departments: they
        // tell of a hub just started, idle or not, so they are left out.
        if i > WARM_UP_READS {
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // A village assistant does not read back to back: a read every 25 ms.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
