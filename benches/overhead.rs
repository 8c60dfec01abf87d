//! The hub's own cost beside the department it waits on: the social security simulator
//! asked directly and through the hub (`residentByIdNumber { socialInsurance pension }`,
//! the department's answers not cached, the audit log on), one after the other on the
//! same people, at 1, 50 and 200 clients and at 0 and 20 ms department latency.
//!
//! Reports per load: throughput, p50 and p99 of each front, the hub's throughput as a
//! share of the direct calls', what it adds to p50 and p99, its CPU time per request over
//! the measured window (from its own accounting in /proc; in all, in user space and in
//! the kernel) and its peak resident memory during the load.
//!
//! Run with `cargo bench --bench overhead`, for the county's configuration (one instance
//! on SQLite). `-- --province` runs the province's instead: PostgreSQL (a fresh database
//! beside `BENCH_POSTGRES_URL`, by default postgres://postgres@127.0.0.1:5432/postgres),
//! the department budgets and client limits shared through Redis on 127.0.0.1:6379, and
//! traces sampled at 1 % to a local collector. `-- --pin` keeps the hub on the second CPU
//! and the load and the simulator on the first, so that they do not take the hub's time.
//! `BENCH_SECONDS` sets how long each load is measured (8 s by default, after 2 s
//! of warm-up); `BENCH_LOADS` picks loads, as `50@0,200@20` (clients@latency), for
//! a profiler to watch one of them.
//!
//! The clients are plain HTTP/1.1 connections (hyper), one request at a time each, so
//! that the load generator costs the machine as little as it can.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use cunhub::{
    domain::RegionCode,
    sim::{Department as Sim, GenOptions, Knobs, SimCluster, SimOptions},
};
use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes, client::conn::http1};
use hyper_util::rt::TokioIo;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

mod common;
use common::{
    Hub, TOWNSHIP, clock_ticks_per_second, collector, config_file_on, pct, query, sqlite_url, token,
};

/// What the issue's fronts were measured with: two field groups of one department.
const VIEW: &str = "query ResidentView($n: String!) { residentByIdNumber(idNumber: $n) { \
    socialInsurance { schemes { kind status } } pension { monthlyAmount lastCertifiedOn } } }";
const PEOPLE: usize = 1_000;
const LATENCIES_MS: [u64; 2] = [20, 0];
const CLIENTS: [usize; 3] = [1, 50, 200];
const WARM_UP: Duration = Duration::from_secs(2);

struct Options {
    province: bool,
    pin: bool,
    seconds: u64,
    /// `(clients, latency)` to measure; all of them when empty.
    only: Vec<(usize, u64)>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let options = Options {
        province: args.iter().any(|a| a == "--province"),
        pin: args.iter().any(|a| a == "--pin"),
        seconds: std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(8),
        only: std::env::var("BENCH_LOADS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|load| {
                let (clients, latency) = load.trim().split_once('@')?;
                Some((clients.parse().ok()?, latency.parse().ok()?))
            })
            .collect(),
    };
    if options.pin {
        // Every thread this process starts from now on inherits the first CPU.
        let pinned = Command::new("taskset")
            .args(["-p", "-c", "0", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(pinned, "--pin needs taskset (util-linux)");
    }
    common::block_on(run(options));
}

async fn run(options: Options) {
    let dir = tempfile::tempdir().unwrap();
    let mut generation = GenOptions::new(
        RegionCode::parse(TOWNSHIP).unwrap(),
        chrono::Local::now().date_naive(),
    );
    generation.people_per_village = 60;
    let mut sim = SimOptions::new(generation);
    sim.workers = 2;
    // No limit of the simulator's own: the load decides how many calls are in flight.
    sim.knobs = Some(Knobs::default());
    let cluster = SimCluster::start(sim).await.unwrap();

    let database = if options.province {
        Some(PostgresDatabase::create().await)
    } else {
        None
    };
    let database_url = match &database {
        Some(pg) => pg.url.clone(),
        None => sqlite_url(dir.path()),
    };
    // The log at its default level, as a county runs it, into a file.
    let mut settings = config_file_on(&cluster, &database_url, "0s")
        .replace("[log]\nlevel = \"warn\"", "[log]\nlevel = \"info\"");
    let collector = if options.province {
        let (url, exports) = collector();
        settings.push_str(&format!(
            "[coordination]\nurl = \"redis://127.0.0.1:6379/0\"\nkey_prefix = \"cunhub-bench-{}\"\n\
             [tracing]\nendpoint = \"{url}\"\nsample_ratio = 0.01\n",
            std::process::id()
        ));
        Some(exports)
    } else {
        None
    };
    let config = dir.path().join("hub.toml");
    std::fs::write(&config, settings).unwrap();

    let exe = env!("CARGO_BIN_EXE_cunhub");
    common::sync_township(exe, &config);
    let log = std::fs::File::create(dir.path().join("hub.log")).unwrap();
    let mut hub = Hub::start_on(exe, &config, Stdio::from(log), options.pin.then_some("1"));

    let people: Vec<String> = cluster
        .population
        .people
        .iter()
        .filter(|p| p.is_normal())
        .take(PEOPLE)
        .map(|p| p.id_number.as_str().to_owned())
        .collect();
    let token = token();
    // The hub answers what the direct call answers before anything is measured.
    let check = reqwest::Client::new();
    let answer = query(&check, &hub.url, &token, VIEW, json!({ "n": people[0] })).await;
    assert!(
        answer["data"]["residentByIdNumber"]["socialInsurance"]["schemes"].is_array(),
        "{answer}"
    );

    let social = cluster.base_url(Sim::SocialSecurity).unwrap().to_owned();
    let direct = Front::direct(&social, &cluster.credentials.social_api_key, &people);
    let through_hub = Front::hub(&hub.url, &token, &people);
    let (idle_rss, _) = hub.memory();

    println!(
        "{} people of {TOWNSHIP}; {}; the hub {}; each load {} s after {} s of warm-up\n",
        people.len(),
        if options.province {
            "PostgreSQL, Redis, traces sampled at 1 %"
        } else {
            "one instance on SQLite"
        },
        if options.pin {
            "on CPU 1, load and simulator on CPU 0"
        } else {
            "sharing both CPUs with the load and the simulator"
        },
        options.seconds,
        WARM_UP.as_secs()
    );
    println!(
        "{:<22} │ {:>9} {:>7} {:>7} │ {:>9} {:>7} {:>7} │ {:>6} {:>7} {:>7} │ {:>9} {:>6} {:>6} {:>8}",
        "load",
        "direct/s",
        "p50 ms",
        "p99 ms",
        "hub/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "+p50",
        "+p99",
        "CPU ms/r",
        "user",
        "system",
        "peak MiB"
    );
    let measure = Duration::from_secs(options.seconds);
    for latency in LATENCIES_MS {
        cluster
            .knobs(Sim::SocialSecurity)
            .unwrap()
            .patch(&json!({ "latency_ms": latency }))
            .unwrap();
        for clients in CLIENTS {
            if !options.only.is_empty() && !options.only.contains(&(clients, latency)) {
                continue;
            }
            let straight = drive(&direct, clients, measure, None).await;
            hub.reset_peak_memory();
            let through = drive(&through_hub, clients, measure, Some(&hub)).await;
            let (user, system) = through.hub_cpu.unwrap_or_default();
            let per_request = |ticks: u64| {
                1000.0 * ticks as f64 / clock_ticks_per_second() / through.counted as f64
            };
            let (_, peak) = hub.memory();
            assert_eq!(straight.failures, 0, "direct calls failed");
            assert_eq!(through.failures, 0, "requests through the hub failed");
            println!(
                "{:<22} │ {:>9.0} {:>7.2} {:>7.2} │ {:>9.0} {:>7.2} {:>7.2} │ {:>5.0}% {:>7.2} {:>7.2} │ {:>9.3} {:>6.3} {:>6.3} {:>8.1}",
                format!("{clients} clients, {latency} ms"),
                straight.per_second,
                straight.p50,
                straight.p99,
                through.per_second,
                through.p50,
                through.p99,
                100.0 * through.per_second / straight.per_second,
                through.p50 - straight.p50,
                through.p99 - straight.p99,
                per_request(user + system),
                per_request(user),
                per_request(system),
                peak as f64 / 1024.0,
            );
        }
    }
    println!(
        "\nhub resident memory at rest after start: {:.1} MiB",
        idle_rss as f64 / 1024.0
    );
    if let Some(exports) = collector {
        println!(
            "trace exports received: {}",
            exports.load(Ordering::Relaxed)
        );
    }
    hub.stop();
    if let Some(pg) = database {
        pg.drop().await;
    }
}

/// One way of asking for a person: the request for each of them, prepared beforehand.
struct Front {
    address: SocketAddr,
    requests: Arc<Vec<Prepared>>,
    /// Whether a 200 answer can still be a failure (GraphQL's `errors`).
    graphql: bool,
}

#[derive(Clone)]
struct Prepared {
    method: hyper::Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Front {
    fn direct(base: &str, api_key: &str, people: &[String]) -> Self {
        let requests = people
            .iter()
            .map(|n| Prepared {
                method: hyper::Method::GET,
                path: format!("/api/v1/persons/{n}/insurances"),
                headers: vec![("x-api-key", api_key.to_owned())],
                body: Bytes::new(),
            })
            .collect();
        Self::new(base, requests, false)
    }

    fn hub(base: &str, token: &str, people: &[String]) -> Self {
        let requests = people
            .iter()
            .map(|n| Prepared {
                method: hyper::Method::POST,
                path: "/graphql".into(),
                headers: vec![
                    ("authorization", format!("Bearer {token}")),
                    ("x-purpose", "ELIGIBILITY_REVIEW".into()),
                    ("content-type", "application/json".into()),
                    ("accept", "application/graphql-response+json".into()),
                ],
                body: Bytes::from(json!({ "query": VIEW, "variables": { "n": n } }).to_string()),
            })
            .collect();
        Self::new(base, requests, true)
    }

    fn new(base: &str, requests: Vec<Prepared>, graphql: bool) -> Self {
        let authority = base.trim_start_matches("http://").trim_end_matches('/');
        Self {
            address: authority.parse().unwrap(),
            requests: Arc::new(requests),
            graphql,
        }
    }
}

struct Outcome {
    per_second: f64,
    p50: f64,
    p99: f64,
    counted: u64,
    failures: u64,
    /// The hub's user and system CPU time over the measured window (not the warm-up),
    /// in clock ticks, when the front is the hub.
    hub_cpu: Option<(u64, u64)>,
}

/// `clients` connections asking one request after another, through a warm-up and then
/// for `measure`; each client walks the people from its own starting point. With `hub`,
/// its CPU time is read as counting starts and as it stops.
async fn drive(front: &Front, clients: usize, measure: Duration, hub: Option<&Hub>) -> Outcome {
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let requests = front.requests.clone();
        let address = front.address;
        let graphql = front.graphql;
        let (counting, stop, failures) = (counting.clone(), stop.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(address).await;
            let mut latencies: Vec<f64> = Vec::new();
            let mut next = client * 7919;
            while !stop.load(Ordering::Relaxed) {
                let prepared = &requests[next % requests.len()];
                next += 1;
                let mut request = Request::builder()
                    .method(prepared.method.clone())
                    .uri(&prepared.path)
                    .header("host", address.to_string());
                for (name, value) in &prepared.headers {
                    request = request.header(*name, value);
                }
                let request = request.body(Full::new(prepared.body.clone())).unwrap();
                let started = Instant::now();
                let ok = match sender.send_request(request).await {
                    Ok(response) => {
                        let status = response.status();
                        match response.into_body().collect().await {
                            Ok(body) => {
                                let body = body.to_bytes();
                                status.is_success() && !(graphql && contains(&body, b"\"errors\""))
                            }
                            Err(_) => false,
                        }
                    }
                    Err(_) => false,
                };
                let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                if counting.load(Ordering::Relaxed) {
                    if ok {
                        latencies.push(elapsed);
                    } else {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if !ok {
                    sender = connect(address).await;
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(WARM_UP).await;
    let cpu_before = hub.map(Hub::cpu_ticks_split);
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(measure).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let hub_cpu = hub.zip(cpu_before).map(|(hub, (user, system))| {
        let (user_after, system_after) = hub.cpu_ticks_split();
        (user_after - user, system_after - system)
    });
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    Outcome {
        per_second: all.len() as f64 / elapsed,
        p50: pct(&all, 50.0),
        p99: pct(&all, 99.0),
        counted: all.len() as u64,
        failures: failures.load(Ordering::Relaxed),
        hub_cpu,
    }
}

async fn connect(address: SocketAddr) -> http1::SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    sender
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A fresh PostgreSQL database for one run, dropped at its end.
struct PostgresDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create() -> Self {
        let admin = std::env::var("BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("cunhub_bench_{}", std::process::id());
        let connection = Database::connect(&admin).await.unwrap();
        connection
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        connection.close().await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Self { admin, name, url }
    }

    async fn drop(self) {
        let connection = Database::connect(&self.admin).await.unwrap();
        let _ = connection
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}
