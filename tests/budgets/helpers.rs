//! Two hub instances on separate listeners, one database, one Redis (keys under a prefix
//! of the test's own) and the department simulators of one township.

use std::time::Duration;

use cunhub::{
    auth::{Role, TokenRequest, mint_development_token_for_client},
    config::Settings,
    domain::RegionCode,
    sim::{GenOptions, SimCluster, SimOptions},
    startup::{self, Application},
    store,
};
use reqwest::StatusCode;
use serde_json::Value;

/// The Redis the suite shares (`.ci/run` starts it).
pub const REDIS: &str = "redis://127.0.0.1:6379/0";
/// The township the population lives in.
pub const TOWNSHIP: &str = "220122101";

/// One running instance.
pub struct Hub {
    pub address: String,
    pub metrics_address: String,
    pub settings: Settings,
}

/// Both instances, the simulators, and the database they share.
pub struct Pair {
    pub hubs: [Hub; 2],
    pub cluster: SimCluster,
    _database: TestDatabase,
}

/// SQLite in a directory of the test's own, or a PostgreSQL database of its own when
/// `CUNHUB_TEST_DATABASE_URL` names the server (dropped afterwards).
struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    async fn create() -> Self {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().unwrap();
        match std::env::var("CUNHUB_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("cunhub_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.ok();
                let (base, _) = admin_url.rsplit_once('/').unwrap();
                Self {
                    url: format!("{base}/{name}"),
                    postgres: Some((admin_url, name)),
                    _dir: dir,
                }
            }
            _ => Self {
                url: format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display()),
                postgres: None,
                _dir: dir,
            },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        use sea_orm::ConnectionTrait;
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; the cleanup needs one of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await.ok();
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A key prefix no other test uses.
pub fn prefix() -> String {
    format!("cunhub-test-{}", uuid::Uuid::new_v4().simple())
}

/// The simulators (`per_village` people a village), the index synchronised once, and two
/// instances built from the same settings after `customize`.
pub async fn spawn_pair(per_village: u32, customize: impl FnOnce(&mut Settings)) -> Pair {
    let mut generation = GenOptions::new(RegionCode::parse(TOWNSHIP).unwrap(), today());
    generation.people_per_village = per_village;
    let cluster = SimCluster::start(SimOptions::new(generation))
        .await
        .unwrap();
    let database = TestDatabase::create().await;
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.metrics_bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.server.shutdown_timeout = Duration::from_secs(1);
    settings.database.url = database.url.clone();
    settings.database.max_connections = 4;
    cluster.configure(&mut settings.departments);
    settings.departments.medical_insurance.division = Some("220122".into());
    settings.coordination.url = REDIS.into();
    settings.coordination.instances = 2;
    settings.coordination.key_prefix = prefix();
    customize(&mut settings);
    let db = store::connect(&settings.database).await.unwrap();
    startup::prepare_database(&db).await.unwrap();
    let vault = store::id_vault::IdVault::from_settings(&settings.privacy).unwrap();
    let departments = cunhub::adapters::Departments::new(&settings.departments).unwrap();
    cunhub::sync::from_register(
        &db,
        &vault,
        &departments,
        &RegionCode::parse(TOWNSHIP).unwrap(),
        |_, _| {},
    )
    .await
    .unwrap();
    let start = || {
        let app = Application::build_with_database(settings.clone(), db.clone()).expect("build");
        let hub = Hub {
            address: format!("http://{}", app.address()),
            metrics_address: format!("http://{}", app.metrics_address().unwrap()),
            settings: settings.clone(),
        };
        tokio::spawn(app.run_until_stopped());
        hub
    };
    let hubs = [start(), start()];
    Pair {
        hubs,
        cluster,
        _database: database,
    }
}

/// A GraphQL answer as read.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn error_codes(&self) -> Vec<&str> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["extensions"]["code"].as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Hub {
    /// POSTs `query` as `token`, declaring an eligibility review.
    pub async fn graphql(&self, query: &str, token: &str) -> Answer {
        let response = client()
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .header("x-purpose", "ELIGIBILITY_REVIEW")
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn ready(&self) -> Value {
        let response = client()
            .get(format!("{}/readyz", self.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "still ready");
        response.json().await.unwrap()
    }

    pub async fn metrics(&self) -> String {
        client()
            .get(format!("{}/metrics", self.metrics_address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// A development token for `role` over the province, issued to `client` when given.
    pub fn token(&self, role: Role, subject: &str, client: Option<&str>) -> String {
        let request = TokenRequest {
            subject: Some(subject.into()),
            role,
            region: RegionCode::parse("22").unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(600),
        };
        match client {
            Some(client) => {
                mint_development_token_for_client(&self.settings.auth, &request, client).unwrap()
            }
            None => cunhub::auth::mint_development_token(&self.settings.auth, &request).unwrap(),
        }
    }
}

// One client per call: a client shared across test runtimes fails once its runtime ends.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// A `redis-server` of the test's own on a spare port, stopped and started at will.
pub struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { port, child: None };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not listen on {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
