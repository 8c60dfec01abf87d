//! What the benchmarks share: the hub as a child process on a free port with a settings
//! file for the simulators, a token, the process's own CPU and memory from `/proc`, and
//! percentiles. Each benchmark measures the release binary as it runs in production.

#![allow(dead_code)] // each benchmark uses its own part

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::{App, HttpResponse, HttpServer, web};

use cunhub::{
    auth::{AuthSettings, Role, TokenRequest, mint_development_token},
    domain::RegionCode,
    sim::{Department as Sim, SimCluster},
};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const TOWNSHIP: &str = "220122101";

/// One resident with all four departments, as the village app reads them.
pub const FULL_VIEW: &str = r#"query ResidentView($n: String!) { residentByIdNumber(idNumber: $n) {
    name idNumber
    medicalInsurance { enrolments { scheme status } }
    socialInsurance { schemes { kind status } }
    pension { monthlyAmount lastCertifiedOn }
    assistance { programmes { programme status monthlyAmount } }
    householdRegistration { status registeredAddress }
} }"#;

/// The same, with the three departments declared by definition files.
pub const SEVEN_VIEW: &str = r#"query ResidentView($n: String!) { residentByIdNumber(idNumber: $n) {
    name idNumber
    medicalInsurance { enrolments { scheme status } }
    socialInsurance { schemes { kind status } }
    pension { monthlyAmount lastCertifiedOn }
    assistance { programmes { programme status monthlyAmount } }
    householdRegistration { status registeredAddress }
    veteran { category preferentialCard { status } inDifficulty }
    familyDoctor { status clinic { name } }
    povertyMonitoring { kind risk assistance { kind } }
} }"#;

/// Runs a benchmark on two worker threads, as many as the machine's cores.
pub fn block_on(benchmark: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(benchmark);
}
pub const SECRET: &str = "bench-secret-bench-secret-bench-secret";

/// The settings every benchmark's hub shares: its listener, its database in `dir`, the
/// benchmarks' secret and keys, warnings only in the log.
pub fn hub_settings(dir: &std::path::Path) -> String {
    hub_settings_on(&sqlite_url(dir))
}

/// The SQLite file of a benchmark's hub in `dir`.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())
}

/// The same settings with the database at `database_url`.
pub fn hub_settings_on(database_url: &str) -> String {
    format!(
        r#"[server]
bind = "127.0.0.1:0"
graphiql = false
[database]
url = "{database_url}"
[auth]
hs256_secret = "{SECRET}"
[audit]
checkpoint_key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
[privacy]
lookup_key = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
encryption_keys = {{ 1 = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=" }}
[log]
level = "warn"
"#
    )
}

/// A settings file for the hub against `cluster`, with its database in `dir` and the
/// departments' answers cached for `cache_ttl` (e.g. `5m`).
pub fn config_file(cluster: &SimCluster, dir: &std::path::Path, cache_ttl: &str) -> String {
    config_file_on(cluster, &sqlite_url(dir), cache_ttl)
}

/// The same settings with the database at `database_url`.
pub fn config_file_on(cluster: &SimCluster, database_url: &str, cache_ttl: &str) -> String {
    let url = |d| cluster.base_url(d).unwrap().to_owned();
    let departments = format!(
        r#"[departments.defaults]
cache_ttl = "{cache_ttl}"
[departments.medical_insurance]
base_url = "{medical}"
division = "220122"
[departments.social_security]
base_url = "{social}"
api_key = "{api_key}"
[departments.civil_affairs]
base_url = "{civil}"
[departments.public_security]
base_url = "{police}"
client_id = "{client_id}"
client_secret = "{client_secret}"
[departments.systems.jilin_veterans]
base_url = "{veterans}"
api_key = "{veterans_key}"
[departments.systems.jilin_health]
base_url = "{health}"
client_id = "{health_id}"
client_secret = "{health_secret}"
[departments.systems.jilin_rural_revitalization]
base_url = "{rural}"
app_id = "{rural_id}"
app_secret = "{rural_secret}"
"#,
        medical = url(Sim::MedicalInsurance),
        social = url(Sim::SocialSecurity),
        civil = url(Sim::CivilAffairs),
        police = url(Sim::PublicSecurity),
        api_key = cluster.credentials.social_api_key,
        client_id = cluster.credentials.police_client_id,
        client_secret = cluster.credentials.police_client_secret,
        veterans = url(Sim::VeteransAffairs),
        veterans_key = cluster.credentials.veterans_app_key,
        health = url(Sim::Health),
        health_id = cluster.credentials.health_client_id,
        health_secret = cluster.credentials.health_client_secret,
        rural = url(Sim::Agriculture),
        rural_id = cluster.credentials.rural_app_id,
        rural_secret = cluster.credentials.rural_app_secret,
    );
    format!("{}{departments}", hub_settings_on(database_url))
}

/// A township officer's token for the township of the benchmarks.
pub fn token() -> String {
    let settings = AuthSettings {
        hs256_secret: Some(SecretString::from(SECRET)),
        ..AuthSettings::default()
    };
    mint_development_token(
        &settings,
        &TokenRequest {
            subject: Some("bench".into()),
            role: Role::TownshipOfficer,
            region: RegionCode::parse(TOWNSHIP).unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(3600),
        },
    )
    .unwrap()
}

/// The hub as a child process on a free port.
pub struct Hub {
    child: Child,
    pub url: String,
}

impl Hub {
    /// Starts `exe serve` with `config`; `stderr` says where its log goes.
    pub fn start(exe: &str, config: &std::path::Path, stderr: Stdio) -> Self {
        Self::start_on(exe, config, stderr, None)
    }

    /// The same, kept to the CPUs `cpus` (a `taskset` list such as `1`) when given.
    pub fn start_on(
        exe: &str,
        config: &std::path::Path,
        stderr: Stdio,
        cpus: Option<&str>,
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = match cpus {
            Some(cpus) => {
                let mut taskset = Command::new("taskset");
                taskset.args(["-c", cpus, exe]);
                taskset
            }
            None => Command::new(exe),
        };
        let child = command
            .arg("--config")
            .arg(config)
            .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the hub did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, url }
    }

    /// VmRSS and VmHWM in KiB.
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// User and system CPU time of the hub so far, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        cpu_ticks_of(&self.child.id().to_string())
    }

    /// The same, apart: (user, system).
    pub fn cpu_ticks_split(&self) -> (u64, u64) {
        user_and_system_ticks(&self.child.id().to_string())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts counting the peak resident memory (VmHWM) afresh.
    pub fn reset_peak_memory(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User and system CPU time of process `pid` (or `self`) so far, in clock ticks.
pub fn cpu_ticks_of(pid: &str) -> u64 {
    let (user, system) = user_and_system_ticks(pid);
    user + system
}

/// User and system CPU time of process `pid` so far, in clock ticks, apart.
fn user_and_system_ticks(pid: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field(11), field(12))
}

/// The kernel's USER_HZ, 100 on every Linux this runs on.
pub fn clock_ticks_per_second() -> f64 {
    100.0
}

/// A POST of `query` with `variables` to the hub, as `token` reviewing eligibility.
pub async fn query(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    client
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .header("x-purpose", "ELIGIBILITY_REVIEW")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The `p`th percentile of `values` (0 for none).
pub fn pct(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Synchronises the township's register into the database of `config` with `exe sync`;
/// what the command printed.
pub fn sync_township(exe: &str, config: &std::path::Path) -> String {
    let sync = Command::new(exe)
        .arg("--config")
        .arg(config)
        .args(["sync", "--region", TOWNSHIP])
        .output()
        .unwrap();
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    String::from_utf8_lossy(&sync.stdout).trim().to_owned()
}

/// A trace collector that takes every export and counts them: its address and the count.
pub fn collector() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let counter = web::Data::new(count.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(counter.clone())
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .route(
                "/v1/traces",
                web::post().to(
                    |count: web::Data<Arc<AtomicU64>>, _body: web::Bytes| async move {
                        count.fetch_add(1, Ordering::Relaxed);
                        HttpResponse::Ok()
                            .content_type("application/x-protobuf")
                            .finish()
                    },
                ),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, count)
}
