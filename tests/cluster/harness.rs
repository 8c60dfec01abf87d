//! Hub instances sharing one PostgreSQL database: each instance is a hub of its own (its
//! own pool, writer task, background tasks and listeners) on a listener of its own, as
//! several `cunhub serve` processes behind a load balancer would be.

use std::time::Duration;

use cunhub::{
    auth::{Role, TokenRequest, mint_development_token},
    config::Settings,
    domain::RegionCode,
    sim::SimCluster,
    startup::{self, Application},
    store,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// The PostgreSQL server the tests create their databases on: `CUNHUB_TEST_DATABASE_URL`,
/// or the local server `.ci/run` keeps up.
pub fn admin_url() -> String {
    std::env::var("CUNHUB_TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of this test's own on the PostgreSQL server, dropped afterwards.
pub struct SharedDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl SharedDatabase {
    pub async fn create() -> Self {
        let admin_url = admin_url();
        let name = format!("cunhub_cluster_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("PostgreSQL for the cluster tests (CUNHUB_TEST_DATABASE_URL)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        admin.close().await.ok();
        let (base, _) = admin_url.rsplit_once('/').expect("URL ends in /DATABASE");
        Self {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        }
    }

    /// A pool of its own on the database.
    pub async fn connect(&self) -> DatabaseConnection {
        store::connect(&database_settings(&self.url))
            .await
            .expect("connect")
    }
}

impl Drop for SharedDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
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

fn database_settings(url: &str) -> store::DatabaseSettings {
    let mut settings = Settings::default().database;
    settings.url = url.to_owned();
    settings.max_connections = 6;
    settings
}

/// One running hub instance.
pub struct Instance {
    pub address: String,
    pub metrics_address: String,
    pub settings: Settings,
    pub db: DatabaseConnection,
}

/// The settings of an instance on `database`, as the tests run them.
pub fn settings_for(database: &SharedDatabase) -> Settings {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.metrics_bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.server.shutdown_timeout = Duration::from_secs(1);
    settings.database = database_settings(&database.url);
    settings
}

/// Starts an instance on `database` as `serve` does (preparing the database first) after
/// `customize` has adjusted its settings.
pub async fn start_instance(
    database: &SharedDatabase,
    customize: impl FnOnce(&mut Settings),
) -> Instance {
    let mut settings = settings_for(database);
    customize(&mut settings);
    let db = store::connect(&settings.database).await.expect("connect");
    startup::prepare_database(&db).await.expect("prepare");
    let mut app = Application::build_with_database(settings.clone(), db.clone()).expect("build");
    app.start_background_tasks();
    let address = format!("http://{}", app.address());
    let metrics_address = format!("http://{}", app.metrics_address().expect("metrics"));
    tokio::spawn(app.run_until_stopped());
    Instance {
        address,
        metrics_address,
        settings,
        db,
    }
}

/// The township the cluster tests live in (of 农安县).
pub const TOWNSHIP: &str = "220122101";

/// The simulators of one township, `per_village` people per village.
pub async fn township(per_village: u32) -> SimCluster {
    let mut generation = cunhub::sim::GenOptions::new(
        RegionCode::parse(TOWNSHIP).unwrap(),
        chrono::Local::now().date_naive(),
    );
    generation.people_per_village = per_village;
    SimCluster::start(cunhub::sim::SimOptions::new(generation))
        .await
        .unwrap()
}

/// Points `settings` at the simulators.
pub fn use_departments(settings: &mut Settings, departments: &SimCluster) {
    departments.configure(&mut settings.departments);
    settings.departments.defaults.backoff = Duration::from_millis(20);
    settings.departments.medical_insurance.division = Some("220122".into());
}

/// Synchronises the township into the shared index through `instance`'s settings.
pub async fn sync(instance: &Instance) {
    let vault = store::id_vault::IdVault::from_settings(&instance.settings.privacy).unwrap();
    let departments = cunhub::adapters::Departments::new(&instance.settings.departments).unwrap();
    cunhub::sync::from_register(
        &instance.db,
        &vault,
        &departments,
        &RegionCode::parse(TOWNSHIP).unwrap(),
        |_, _| {},
    )
    .await
    .unwrap();
}

impl Instance {
    /// A development token for `role` in `region` (every instance shares the secret).
    pub fn token(&self, role: Role, region: &str) -> String {
        let request = TokenRequest {
            subject: Some("cluster-test".into()),
            role,
            region: RegionCode::parse(region).unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(600),
        };
        mint_development_token(&self.settings.auth, &request).unwrap()
    }

    /// Posts a GraphQL operation with `token` and the purpose `SERVICE_HANDLING`; the
    /// answer's body.
    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        post_graphql(&self.address, token, query, variables).await
    }

    /// The value of the operators' metric `name` with the label set `labels` (as written
    /// in the exposition, e.g. `{job="overdue_sweep"}`), 0 when absent.
    pub async fn metric(&self, name: &str, labels: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.metrics_address))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let prefix = format!("{name}{labels} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

/// Posts a GraphQL operation to the hub at `address`.
pub async fn post_graphql(address: &str, token: &str, query: &str, variables: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .header("x-purpose", "SERVICE_HANDLING")
        .json(&json!({ "query": query, "variables": variables }))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}
