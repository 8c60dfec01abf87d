//! What sharing a department's budget through Redis costs per call: the same medical
//! lookups against the simulator with the budget (16 calls in flight, 20,000 a second)
//! counted in the process, leased from Redis as two instances would, and counted alone
//! after Redis is lost. Reports the time per call and the Redis round trips per 1,000
//! calls; then what counting one request against a client's limits costs, in the process
//! and in Redis (one round trip per request). Needs Redis on 127.0.0.1:6379. Run with
//! `cargo bench --bench budget_cost`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{sync::Arc, time::Instant};

use cunhub::{
    adapters::{CallContext, Departments, DepartmentsSettings},
    coordination::{Coordination, CoordinationSettings},
    domain::{IdNumber, RegionCode},
    sim::{Department as Sim, GenOptions, SimCluster, SimOptions},
};

const REDIS: &str = "redis://127.0.0.1:6379/0";
const CALLS: usize = 8_000;
const AT_ONCE: usize = 16;

fn main() {
    common::block_on(run());
}

async fn run() {
    let mut generation = GenOptions::new(
        RegionCode::parse(common::TOWNSHIP).unwrap(),
        chrono::Local::now().date_naive(),
    );
    generation.people_per_village = 20;
    let cluster = SimCluster::start(SimOptions::new(generation))
        .await
        .unwrap();
    let people: Arc<Vec<IdNumber>> = Arc::new(
        cluster
            .population
            .people
            .iter()
            .take(200)
            .map(|p| p.id_number)
            .collect(),
    );
    let mut settings = DepartmentsSettings::default();
    cluster.configure(&mut settings);
    settings.medical_insurance.division = Some("220122".into());
    settings.medical_insurance.max_in_flight = Some(16);
    settings.medical_insurance.rate_per_sec = Some(20_000);
    // Every call reaches the department.
    settings.defaults.cache_ttl = std::time::Duration::from_millis(1);
    settings.defaults.stale_for = std::time::Duration::ZERO;
    cluster
        .knobs(Sim::MedicalInsurance)
        .unwrap()
        .patch(&serde_json::json!({ "max_in_flight": 0 }))
        .unwrap();

    let prefix = format!("cunhub-bench-{}", std::process::id());
    let shared = CoordinationSettings {
        url: REDIS.into(),
        instances: 2,
        key_prefix: prefix,
        ..CoordinationSettings::default()
    };
    let lost = CoordinationSettings {
        url: "redis://127.0.0.1:1/0".into(),
        ..shared.clone()
    };
    println!("{CALLS} medical lookups, {AT_ONCE} at a time, budget 16 in flight and 20000/s:");
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>12}",
        "budget", "mean µs", "p50 µs", "p99 µs", "Redis/1000"
    );
    // The first round warms the connections and is not reported.
    let _ = measure(&settings, Coordination::off(), &people).await;
    for (label, coordination) in [
        ("counted in the process (one instance)", Coordination::off()),
        (
            "leased from Redis (shared, 2 instances)",
            Coordination::new(&shared).unwrap(),
        ),
        (
            "Redis lost: this instance's share",
            Coordination::new(&lost).unwrap(),
        ),
        ("counted in the process, again", Coordination::off()),
    ] {
        let before = redis_scripts_run().await;
        let times = measure(&settings, coordination, &people).await;
        let scripts = redis_scripts_run().await - before;
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{label:<44} {mean:>10.1} {:>10.1} {:>10.1} {:>12.1}",
            common::pct(&times, 50.0),
            common::pct(&times, 99.0),
            scripts as f64 * 1000.0 / CALLS as f64,
        );
    }
    client_limits(&shared).await;
}

/// One request counted against a subject's and an application's limits (four windows).
async fn client_limits(shared: &CoordinationSettings) {
    use cunhub::{
        auth::{Principal, Role},
        http::quota::{ClientLimitsSettings, Quotas, RoleLimits},
    };
    let mut limits = ClientLimitsSettings::default();
    limits.0.insert(
        "village_assistant".into(),
        RoleLimits {
            subject_per_second: u32::MAX,
            subject_per_day: u32::MAX,
            client_per_second: u32::MAX,
            client_per_day: u32::MAX,
        },
    );
    let principal = Principal {
        subject: "bench".into(),
        role: Role::VillageAssistant,
        region: RegionCode::parse("220122101201").unwrap(),
        department: None,
        id_number: None,
        client: Some("village-app".into()),
    };
    println!("one request counted against its client limits (4 windows), 16 at a time:");
    for (label, coordination) in [
        ("in the process (no Redis)", Coordination::off()),
        ("in Redis (shared)", Coordination::new(shared).unwrap()),
    ] {
        let quotas = Arc::new(Quotas::new(limits.clone(), coordination));
        let n = 20_000;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..AT_ONCE {
            let quotas = quotas.clone();
            let principal = principal.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..n / AT_ONCE {
                    assert!(quotas.count(Some(&principal)).await.unwrap().admitted);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = started.elapsed();
        println!(
            "{label:<44} {:>10.1} µs each, {:>8.0} requests/s",
            elapsed.as_secs_f64() * 1e6 / n as f64,
            n as f64 / elapsed.as_secs_f64()
        );
    }
}

/// Each call's time in µs.
async fn measure(
    settings: &DepartmentsSettings,
    coordination: Coordination,
    people: &Arc<Vec<IdNumber>>,
) -> Vec<f64> {
    let departments = Arc::new(Departments::with_coordination(settings, &coordination).unwrap());
    let mut tasks = Vec::new();
    for worker in 0..AT_ONCE {
        let departments = departments.clone();
        let people = people.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(CALLS / AT_ONCE);
            for i in 0..CALLS / AT_ONCE {
                let id = &people[(worker * 7919 + i) % people.len()];
                let ctx = CallContext::new(std::time::Duration::from_secs(5));
                let started = Instant::now();
                let answer = departments.medical.person(id, &ctx).await;
                times.push(started.elapsed().as_secs_f64() * 1e6);
                assert!(answer.is_ok(), "{answer:?}");
            }
            times
        }));
    }
    let mut times = Vec::with_capacity(CALLS);
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    times
}

/// Scripts Redis has run so far (EVALSHA and EVAL), from `INFO commandstats`.
async fn redis_scripts_run() -> u64 {
    let client = redis::Client::open(REDIS).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut connection)
        .await
        .unwrap();
    info.lines()
        .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}
