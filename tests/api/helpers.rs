//! `spawn_app()` and typed request helpers, so that tests read as a specification.

use std::time::Duration;

use cunhub::{
    auth::{Role, TokenRequest, mint_development_token},
    config::Settings,
    domain::{Department, RegionCode},
    startup::{self, Application},
    store,
    workflow::Clock,
};
use reqwest::{StatusCode, header::HeaderMap};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    /// The operators' listener (`/metrics`), unless switched off.
    pub metrics_address: Option<String>,
    pub settings: Settings,
    pub db: DatabaseConnection,
    /// The hub's clock for deadlines: tests move it across holidays.
    pub clock: Clock,
    /// The snapshot of statistics the hub serves: a test takes one through it.
    pub statistics: cunhub::statistics::Published,
    _database: TestDatabase,
}

/// Starts the hub with default settings on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the hub after `customize` has adjusted the settings.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::create().await;
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.metrics_bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.server.shutdown_timeout = Duration::from_secs(1);
    settings.database.url = database.url.clone();
    settings.database.max_connections = 4;
    customize(&mut settings);
    let db = store::connect(&settings.database).await.expect("connect");
    startup::prepare_database(&db).await.expect("migrate");
    let clock = Clock::system();
    let mut app =
        Application::build_with_clock(settings.clone(), db.clone(), clock.clone()).expect("build");
    app.start_background_tasks();
    let address = format!("http://{}", app.address());
    let metrics_address = app.metrics_address().map(|a| format!("http://{a}"));
    let statistics = app.statistics();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_address,
        settings,
        db,
        clock,
        statistics,
        _database: database,
    }
}

/// The hub started again on `app`'s database after `customize` has changed its settings
/// (new keys, say); the earlier hub keeps serving at its own address.
pub async fn restart_with(app: TestApp, customize: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = app.settings.clone();
    customize(&mut settings);
    let built = Application::build_with_clock(settings.clone(), app.db.clone(), app.clock.clone())
        .expect("build");
    let address = format!("http://{}", built.address());
    let statistics = built.statistics();
    tokio::spawn(built.run_until_stopped());
    TestApp {
        address,
        settings,
        statistics,
        ..app
    }
}

/// A response as a test sees it.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `extensions.code` of every error, in order.
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<none>")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

/// A GraphQL call being put together.
pub struct GraphqlCall<'a> {
    app: &'a TestApp,
    body: Value,
    token: Option<String>,
    accept: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
}

impl GraphqlCall<'_> {
    pub fn variables(mut self, variables: Value) -> Self {
        self.body["variables"] = variables;
        self
    }

    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Declares the purpose of access (`X-Purpose`).
    pub fn purpose(mut self, purpose: &str) -> Self {
        self.headers.push(("x-purpose", purpose.to_owned()));
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn accept(mut self, accept: &'static str) -> Self {
        self.accept = Some(accept);
        self
    }

    pub async fn send(self) -> TestResponse {
        let mut request = client()
            .post(format!("{}/graphql", self.app.address))
            .json(&self.body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request = request.header(
            "accept",
            self.accept.unwrap_or("application/graphql-response+json"),
        );
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        read(request.send().await.expect("request")).await
    }
}

impl TestApp {
    /// A POST of `query` that accepts `application/graphql-response+json`.
    pub fn graphql(&self, query: &str) -> GraphqlCall<'_> {
        GraphqlCall {
            app: self,
            body: json!({ "query": query }),
            token: None,
            accept: None,
            headers: Vec::new(),
        }
    }

    /// Like [`graphql`](Self::graphql), for a query built at run time.
    pub fn graphql_owned(&self, query: String) -> GraphqlCall<'_> {
        self.graphql(&query)
    }

    /// Any request against the hub.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        client().request(method, format!("{}{path}", self.address))
    }

    /// `/metrics` as an operator's Prometheus scrapes it, on the operators' listener.
    pub async fn metrics(&self) -> String {
        let address = self.metrics_address.as_deref().expect("metrics are served");
        let response = client()
            .get(format!("{address}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    /// A development token for `role` scoped to `region`.
    pub fn token(&self, role: Role, region: &str) -> String {
        self.token_with(role, region, None)
    }

    pub fn token_with(&self, role: Role, region: &str, department: Option<Department>) -> String {
        self.token_for(
            role,
            region,
            department,
            (role == Role::Resident).then(|| "220122195603020017".to_owned()),
        )
    }

    pub fn token_for(
        &self,
        role: Role,
        region: &str,
        department: Option<Department>,
        id_number: Option<String>,
    ) -> String {
        let request = TokenRequest {
            subject: Some("test-user".into()),
            role,
            region: RegionCode::parse(region).unwrap(),
            department,
            id_number,
            ttl: Duration::from_secs(600),
        };
        mint_development_token(&self.settings.auth, &request).unwrap()
    }
}

// One client per call: a client shared across test runtimes fails once its runtime ends.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn read(response: reqwest::Response) -> TestResponse {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    assert_errored_fields_are_null(&body);
    TestResponse {
        status,
        headers,
        body,
    }
}

/// The specification's shape of a response with field errors, checked on every response
/// the tests read: each error's field whose parent object is in `data` is there, `null`.
pub fn assert_errored_fields_are_null(body: &Value) {
    let Some(errors) = body.get("errors").and_then(Value::as_array) else {
        return;
    };
    for error in errors {
        let Some(path) = error.get("path").and_then(Value::as_array) else {
            continue;
        };
        let Some((Value::String(key), parents)) = path.split_last() else {
            continue;
        };
        let mut parent = &body["data"];
        for segment in parents {
            parent = match segment {
                Value::String(name) => &parent[name.as_str()],
                Value::Number(index) => &parent[index.as_u64().unwrap_or(u64::MAX) as usize],
                _ => &Value::Null,
            };
        }
        if let Value::Object(object) = parent {
            assert_eq!(
                object.get(key),
                Some(&Value::Null),
                "the errored field {path:?} must be present and null in {body}"
            );
        }
    }
}

/// A database of this test's own, removed afterwards.
struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    async fn create() -> Self {
        match std::env::var("CUNHUB_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("cunhub_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to CUNHUB_TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
                admin.close().await.ok();
                let url = match admin_url.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("CUNHUB_TEST_DATABASE_URL must end in /DATABASE"),
                };
                Self {
                    url,
                    postgres: Some((admin_url, name)),
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("cunhub.db").display()
                );
                Self {
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
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

/// The simulators of one township of 农安县 (`per_village` people per village), the hub
/// pointed at them, and its resident index synchronised from the household register.
pub async fn spawn_hub_with_departments(
    per_village: u32,
    customize: impl FnOnce(&mut Settings),
) -> (TestApp, cunhub::sim::SimCluster) {
    let mut generation =
        cunhub::sim::GenOptions::new(RegionCode::parse(TOWNSHIP).unwrap(), today());
    generation.people_per_village = per_village;
    let cluster = cunhub::sim::SimCluster::start(cunhub::sim::SimOptions::new(generation))
        .await
        .unwrap();
    let app = spawn_app_with(|settings| {
        cluster.configure(&mut settings.departments);
        settings.departments.defaults.backoff = Duration::from_millis(20);
        settings.departments.medical_insurance.division = Some("220122".into());
        customize(settings);
    })
    .await;
    sync(&app, TOWNSHIP).await;
    (app, cluster)
}

/// A region at the level the built-in policy gives `role`'s scope: a village, township or
/// county of 农安县 for the roles bound to one, the province for the others.
pub fn region_for(role: Role) -> &'static str {
    match role {
        Role::VillageAssistant => "220122101201",
        Role::TownshipOfficer | Role::Police => TOWNSHIP,
        Role::DepartmentClerk => "220122",
        _ => "22",
    }
}

/// The township the department tests live in.
pub const TOWNSHIP: &str = "220122101";

/// The date the test population is generated for.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Synchronises `region` into the app's index, as `cunhub sync` does.
pub async fn sync(app: &TestApp, region: &str) -> cunhub::sync::SyncReport {
    let vault = cunhub::store::id_vault::IdVault::from_settings(&app.settings.privacy).unwrap();
    let departments = cunhub::adapters::Departments::new(&app.settings.departments).unwrap();
    cunhub::sync::from_register(
        &app.db,
        &vault,
        &departments,
        &RegionCode::parse(region).unwrap(),
        |_, _| {},
    )
    .await
    .unwrap()
}
