//! The resident view under load: the department simulators at a fixed 20 ms, the hub
//! as its own release process on a fresh SQLite file with the audit log on, and the
//! figures the targets speak of. Run with `cargo bench --bench resident_view`.
//!
//! Reports: one resident with all four departments (p50/p99, and the hub's overhead over
//! the slowest department asked directly), one with all seven, a page of 100 residents with all
//! departments (latency and upstream calls per department), requests per second at a
//! fixed concurrency, and the hub's resident memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use cunhub::{
    domain::RegionCode,
    sim::{Department as Sim, GenOptions, Knobs, SimCluster, SimOptions},
};
use serde_json::json;

mod common;
use common::{FULL_VIEW, Hub, SEVEN_VIEW, TOWNSHIP, block_on, config_file, pct, query, token};

const LATENCY_MS: u64 = 20;
fn main() {
    block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let mut generation = GenOptions::new(
        RegionCode::parse(TOWNSHIP).unwrap(),
        chrono::Local::now().date_naive(),
    );
    generation.people_per_village = 245;
    let mut options = SimOptions::new(generation);
    options.workers = 2;
    options.knobs = Some(Knobs {
        latency_ms: LATENCY_MS,
        max_in_flight: 64,
        ..Knobs::default()
    });
    let cluster = SimCluster::start(options).await.unwrap();
    // Medical insurance keeps its platform's own limit of 16 calls in flight.
    cluster
        .knobs(Sim::MedicalInsurance)
        .unwrap()
        .patch(&json!({ "max_in_flight": 16 }))
        .unwrap();
    let config = dir.path().join("cunhub.toml");
    std::fs::write(&config, config_file(&cluster, dir.path(), "5m")).unwrap();

    let exe = env!("CARGO_BIN_EXE_cunhub");
    let sync_started = Instant::now();
    let synced = common::sync_township(exe, &config);
    println!(
        "sync of {TOWNSHIP}: {synced} ({:.1} s)",
        sync_started.elapsed().as_secs_f64()
    );

    let mut hub = Hub::start(exe, &config, Stdio::inherit());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let token = token();
    let people: Vec<String> = cluster
        .population
        .people
        .iter()
        .map(|p| p.id_number.as_str().to_owned())
        .collect();

    // The slowest department asked directly: the floor the hub cannot beat.
    let direct = direct_medical_latency(&client, &cluster, &people[..200]).await;
    println!(
        "\nmedical insurance asked directly (1101, 200 calls): p50 {:.2} ms, p99 {:.2} ms",
        pct(&direct, 50.0),
        pct(&direct, 99.0)
    );

    // 1. One resident, all four departments, cache cold for each person.
    let mut single = Vec::new();
    for n in people.iter().skip(200).take(300) {
        let started = Instant::now();
        let body = query(&client, &hub.url, &token, FULL_VIEW, json!({ "n": n })).await;
        single.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(body.get("errors").is_none(), "{body}");
    }
    let (p50, p99) = (pct(&single, 50.0), pct(&single, 99.0));
    println!("\none resident, four departments (300 people, each asked once):");
    println!(
        "  latency p50 {p50:.2} ms, p99 {:.2} ms, max {:.2} ms",
        p99,
        pct(&single, 100.0)
    );
    println!(
        "  overhead over the slowest department (asked directly): p50 {:.2} ms, p99 {:.2} ms",
        p50 - pct(&direct, 50.0),
        p99 - pct(&direct, 99.0)
    );

    // 1b. One resident, all seven departments (the three declared ones by their
    // definitions, at the same 20 ms), cache cold for each person.
    let mut seven = Vec::new();
    for n in people.iter().skip(2_000).take(300) {
        let started = Instant::now();
        let body = query(&client, &hub.url, &token, SEVEN_VIEW, json!({ "n": n })).await;
        seven.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(body.get("errors").is_none(), "{body}");
    }
    println!(
        "\none resident, seven departments (300 people, each asked once; health takes two calls):"
    );
    println!(
        "  latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&seven, 50.0),
        pct(&seven, 99.0),
        pct(&seven, 100.0)
    );

    // 2. A page of 100 residents with all departments.
    let village = cluster.population.villages[0].code.to_string();
    let page_query = format!(
        r#"{{ residents(region: "{village}", first: 100) {{ nodes {{ name idNumber
            medicalInsurance {{ enrolments {{ scheme status }} }} socialInsurance {{ schemes {{ kind }} }}
            pension {{ lastCertifiedOn }} assistance {{ programmes {{ programme }} }} householdRegistration {{ status }} }} }} }}"#
    );
    let mut pages = Vec::new();
    let mut calls = Vec::new();
    for round in 0..5 {
        for d in Sim::ALL {
            cluster.knobs(d).unwrap().reset_stats();
        }
        // Each round reads a fresh page of people (no cache help): pages of other villages.
        // Villages past those the single-resident round read, so nothing is cached.
        let village = cluster.population.villages[5 + round].code.to_string();
        let q = page_query.replace(&cluster.population.villages[0].code.to_string(), &village);
        let started = Instant::now();
        let body = query(&client, &hub.url, &token, &q, json!({})).await;
        pages.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            body["data"]["residents"]["nodes"].as_array().unwrap().len(),
            100
        );
        calls.push(Sim::ALL.map(|d| cluster.knobs(d).unwrap().stats().requests));
    }
    println!("\na page of 100 residents, all departments (5 pages of 5 villages):");
    println!(
        "  latency p50 {:.1} ms, max {:.1} ms",
        pct(&pages, 50.0),
        pct(&pages, 100.0)
    );
    for (i, d) in Sim::ALL.iter().enumerate() {
        let per_page: Vec<u64> = calls.iter().map(|c| c[i]).collect();
        println!(
            "  upstream calls to {:<18} per page: {per_page:?}",
            d.code()
        );
    }

    // 3. Requests per second at a fixed concurrency (cache on: people asked repeatedly).
    let concurrency = 32;
    let duration = Duration::from_secs(10);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let url = hub.url.clone();
        let token = token.clone();
        let people = people.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = worker;
            while started.elapsed() < duration {
                let n = &people[i % 500];
                let t = Instant::now();
                let body = query(&client, &url, &token, FULL_VIEW, json!({ "n": n })).await;
                assert!(body.get("errors").is_none(), "{body}");
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                i += concurrency;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "\nthroughput, {concurrency} concurrent clients for {}s, one resident with four departments (500 people, cache on):",
        duration.as_secs()
    );
    println!(
        "  {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
        all.len() as f64 / seconds,
        pct(&all, 50.0),
        pct(&all, 99.0)
    );

    let (rss, peak) = hub.memory();
    println!(
        "\nhub resident memory: {:.1} MiB now, {:.1} MiB peak",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    let verify = Command::new(exe)
        .arg("--config")
        .arg(&config)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    println!("audit: {}", String::from_utf8_lossy(&verify.stdout).trim());
    hub.stop();
    cluster.stop().await;
}

async fn direct_medical_latency(
    client: &reqwest::Client,
    cluster: &SimCluster,
    people: &[String],
) -> Vec<f64> {
    let url = format!(
        "{}/fsi/api/rsfComIfsService/callService",
        cluster.base_url(Sim::MedicalInsurance).unwrap()
    );
    let mut out = Vec::new();
    for (i, n) in people.iter().enumerate() {
        let envelope = json!({
            "infno": "1101", "msgid": format!("BENCH{:020}", i), "mdtrtarea_admvs": "220122",
            "recer_sys_code": "BENCH", "infver": "V1.0", "opter_type": "1", "opter": "bench", "opter_name": "bench",
            "inf_time": chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(), "sign_no": "",
            "input": { "data": { "psn_cert_type": "01", "certno": n, "psn_name": "" } }
        });
        let started = Instant::now();
        client
            .post(&url)
            .json(&envelope)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out
}
