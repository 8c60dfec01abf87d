//! What tracing costs per request: the hub as its own release process, the simulators
//! answering at once and the departments' answers cached after a warm-up, so that what is
//! measured is the hub's own work, with tracing off, on but not sampled, on and sampled,
//! and on and sampled with the collector down. Run with `cargo bench --bench tracing_cost`.
//!
//! Reports per mode: sequential latency (p50, p99, mean), throughput at a fixed
//! concurrency, and the hub's CPU time per request (user + system, from /proc).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::TcpListener,
    process::Stdio,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use cunhub::{
    domain::RegionCode,
    sim::{GenOptions, Knobs, SimCluster, SimOptions},
};
use serde_json::json;

mod common;
use common::{
    FULL_VIEW, Hub, TOWNSHIP, block_on, clock_ticks_per_second, collector, config_file, pct, query,
    token,
};

const PEOPLE: usize = 100;
const SEQUENTIAL: usize = 2_000;
const CONCURRENCY: usize = 16;
const THROUGHPUT_FOR: Duration = Duration::from_secs(8);
fn main() {
    block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let mut generation = GenOptions::new(
        RegionCode::parse(TOWNSHIP).unwrap(),
        chrono::Local::now().date_naive(),
    );
    generation.people_per_village = 20;
    let mut options = SimOptions::new(generation);
    options.workers = 2;
    options.knobs = Some(Knobs {
        latency_ms: 0,
        max_in_flight: 64,
        ..Knobs::default()
    });
    let cluster = SimCluster::start(options).await.unwrap();
    let (collector, exports) = collector();
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let exe = env!("CARGO_BIN_EXE_cunhub");
    let base = config_file(&cluster, dir.path(), "1h");
    std::fs::write(dir.path().join("sync.toml"), &base).unwrap();
    common::sync_township(exe, &dir.path().join("sync.toml"));
    let people: Vec<String> = cluster
        .population
        .people
        .iter()
        .filter(|p| p.is_normal())
        .take(PEOPLE)
        .map(|p| p.id_number.as_str().to_owned())
        .collect();
    let token = token();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();

    println!(
        "one resident, four departments (answers cached), {SEQUENTIAL} sequential requests, then {CONCURRENCY} clients for {}s:\n",
        THROUGHPUT_FOR.as_secs()
    );
    println!(
        "{:<32} {:>9} {:>9} {:>9} {:>10} {:>12} {:>9}",
        "tracing", "p50 ms", "p99 ms", "mean ms", "req/s", "CPU µs/req", "exports"
    );
    let modes: [(&str, String); 4] = [
        ("off", String::new()),
        (
            "on, not sampled (ratio 0)",
            format!("[tracing]\nendpoint = \"{collector}\"\nsample_ratio = 0.0\n"),
        ),
        (
            "on, sampled (ratio 1)",
            format!("[tracing]\nendpoint = \"{collector}\"\nsample_ratio = 1.0\n"),
        ),
        (
            "on, sampled, collector down",
            format!("[tracing]\nendpoint = \"{closed}\"\nsample_ratio = 1.0\n"),
        ),
    ];
    for (name, tracing) in modes {
        let config = dir.path().join("hub.toml");
        std::fs::write(&config, format!("{base}{tracing}")).unwrap();
        let mut hub = Hub::start(exe, &config, Stdio::null());
        // Warm-up: every answer in the hub's cache, connections open.
        for n in &people {
            let body = query(&client, &hub.url, &token, FULL_VIEW, json!({ "n": n })).await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        let before = exports.load(Ordering::Relaxed);
        let mut latencies = Vec::with_capacity(SEQUENTIAL);
        for i in 0..SEQUENTIAL {
            let started = Instant::now();
            query(
                &client,
                &hub.url,
                &token,
                FULL_VIEW,
                json!({ "n": &people[i % PEOPLE] }),
            )
            .await;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let cpu_before = hub.cpu_ticks();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..CONCURRENCY {
            let (client, url, token, people) = (
                client.clone(),
                hub.url.clone(),
                token.clone(),
                people.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut done = 0u64;
                let mut i = worker;
                while started.elapsed() < THROUGHPUT_FOR {
                    query(
                        &client,
                        &url,
                        &token,
                        FULL_VIEW,
                        json!({ "n": &people[i % PEOPLE] }),
                    )
                    .await;
                    done += 1;
                    i += CONCURRENCY;
                }
                done
            }));
        }
        let mut done = 0;
        for task in tasks {
            done += task.await.unwrap();
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu = hub.cpu_ticks() - cpu_before;
        hub.stop();
        let micros_per_tick = 1_000_000.0 / clock_ticks_per_second();
        println!(
            "{name:<32} {:>9.3} {:>9.3} {:>9.3} {:>10.0} {:>12.0} {:>9}",
            pct(&latencies, 50.0),
            pct(&latencies, 99.0),
            latencies.iter().sum::<f64>() / latencies.len() as f64,
            done as f64 / seconds,
            cpu as f64 * micros_per_tick / done as f64,
            exports.load(Ordering::Relaxed) - before,
        );
    }
    cluster.stop().await;
}
