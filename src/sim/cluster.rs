//! Starting the chosen simulators together on one shared population.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::knobs::{KnobHandle, Knobs};
use super::police::PoliceAuth;
use super::population::{GenOptions, Population};
use super::server::RunningServer;
use super::{Department, SimError, civil, health, medical, police, rural, social, veterans};

/// What to start.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The departments to start (all seven by default).
    pub departments: Vec<Department>,
    pub generation: GenOptions,
    pub host: IpAddr,
    /// `None`: any free port for each. `Some(p)`: medical p, social p+1, civil p+2,
    /// police p+3, veterans p+4, health p+5, rural revitalisation p+6.
    pub base_port: Option<u16>,
    /// actix workers per simulator.
    pub workers: usize,
    /// Knobs for every department at start; `None` keeps each department's defaults
    /// (medical: 16 calls in flight).
    pub knobs: Option<Knobs>,
    pub social_api_key: String,
    pub police_auth: PoliceAuth,
    /// `X-App-Key` of the veterans' platform, and how it spells its API.
    pub veterans_app_key: String,
    pub veterans_dialect: veterans::Dialect,
    pub health_auth: health::HealthAuth,
    /// The signing app of rural revitalisation.
    pub rural_app_id: String,
    pub rural_app_secret: String,
}

impl SimOptions {
    /// All four departments on 127.0.0.1, any free ports, one worker each, the default
    /// credentials and knobs.
    pub fn new(generation: GenOptions) -> Self {
        Self {
            departments: Department::ALL.to_vec(),
            generation,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: None,
            workers: 1,
            knobs: None,
            social_api_key: social::DEFAULT_API_KEY.into(),
            police_auth: PoliceAuth::default(),
            veterans_app_key: veterans::DEFAULT_APP_KEY.into(),
            veterans_dialect: veterans::Dialect::default(),
            health_auth: health::HealthAuth::default(),
            rural_app_id: rural::DEFAULT_APP_ID.into(),
            rural_app_secret: rural::DEFAULT_APP_SECRET.into(),
        }
    }
}

/// The credentials the simulators accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `X-Api-Key` of social security.
    pub social_api_key: String,
    /// OAuth2 client of public security.
    pub police_client_id: String,
    pub police_client_secret: String,
    /// `X-App-Key` of veterans affairs.
    pub veterans_app_key: String,
    /// OAuth2 client of health.
    pub health_client_id: String,
    pub health_client_secret: String,
    /// Signing app of rural revitalisation.
    pub rural_app_id: String,
    pub rural_app_secret: String,
}

/// One running department.
#[derive(Debug)]
pub struct DepartmentSim {
    pub department: Department,
    pub base_url: String,
    pub knobs: KnobHandle,
    server: RunningServer,
}

/// The running simulators and their population.
#[derive(Debug)]
pub struct SimCluster {
    pub population: Arc<Population>,
    pub departments: Vec<DepartmentSim>,
    pub credentials: Credentials,
}

impl SimCluster {
    /// Generates the population (off the async threads) and starts the departments.
    pub async fn start(options: SimOptions) -> Result<Self, SimError> {
        let generation = options.generation.clone();
        let population =
            tokio::task::spawn_blocking(move || Population::generate(generation)).await??;
        Self::start_with(options, Arc::new(population))
    }

    /// Starts generating in the background and returns at once: the progress (villages
    /// done of total) to show, and the task that yields the running cluster.
    pub fn spawn(
        options: SimOptions,
    ) -> (
        Arc<GenerationProgress>,
        tokio::task::JoinHandle<Result<Self, SimError>>,
    ) {
        let progress = Arc::new(GenerationProgress::default());
        let shared = progress.clone();
        let task = tokio::spawn(async move {
            let generation = options.generation.clone();
            let population = tokio::task::spawn_blocking(move || {
                Population::generate_with_progress(generation, &mut |done, total| {
                    shared.done.store(done, Ordering::Relaxed);
                    shared.total.store(total, Ordering::Relaxed);
                })
            })
            .await??;
            Self::start_with(options, Arc::new(population))
        });
        (progress, task)
    }

    /// Starts the departments on an already generated population. Must be called within
    /// a tokio runtime (the servers are spawned on it).
    pub fn start_with(options: SimOptions, population: Arc<Population>) -> Result<Self, SimError> {
        let mut departments = Vec::new();
        let mut chosen = options.departments.clone();
        chosen.sort();
        chosen.dedup();
        for department in chosen {
            let offset = Department::ALL
                .iter()
                .position(|d| *d == department)
                .unwrap_or(0) as u16;
            let port = options.base_port.map_or(0, |p| p.saturating_add(offset));
            let bind = SocketAddr::new(options.host, port);
            let knobs = KnobHandle::new(match (&options.knobs, department) {
                (Some(k), _) => k.clone(),
                (None, Department::MedicalInsurance) => medical::default_knobs(),
                (None, _) => Knobs::default(),
            });
            let pop = population.clone();
            let server = match department {
                Department::MedicalInsurance => {
                    medical::start(pop, knobs.clone(), bind, options.workers)
                }
                Department::SocialSecurity => social::start(
                    pop,
                    knobs.clone(),
                    &options.social_api_key,
                    bind,
                    options.workers,
                ),
                Department::CivilAffairs => civil::start(pop, knobs.clone(), bind, options.workers),
                Department::PublicSecurity => police::start(
                    pop,
                    knobs.clone(),
                    options.police_auth.clone(),
                    bind,
                    options.workers,
                ),
                Department::VeteransAffairs => veterans::start(
                    pop,
                    knobs.clone(),
                    &options.veterans_app_key,
                    options.veterans_dialect.clone(),
                    bind,
                    options.workers,
                ),
                Department::Health => health::start(
                    pop,
                    knobs.clone(),
                    options.health_auth.clone(),
                    bind,
                    options.workers,
                ),
                Department::Agriculture => rural::start(
                    pop,
                    knobs.clone(),
                    &options.rural_app_id,
                    &options.rural_app_secret,
                    bind,
                    options.workers,
                ),
            }?;
            departments.push(DepartmentSim {
                department,
                base_url: server.base_url(),
                knobs,
                server,
            });
        }
        Ok(Self {
            population,
            departments,
            credentials: Credentials {
                social_api_key: options.social_api_key,
                police_client_id: options.police_auth.client_id,
                police_client_secret: options.police_auth.client_secret,
                veterans_app_key: options.veterans_app_key,
                health_client_id: options.health_auth.client_id,
                health_client_secret: options.health_auth.client_secret,
                rural_app_id: options.rural_app_id,
                rural_app_secret: options.rural_app_secret,
            },
        })
    }

    fn get(&self, department: Department) -> Option<&DepartmentSim> {
        self.departments.iter().find(|d| d.department == department)
    }

    /// `http://127.0.0.1:PORT` of a running department.
    pub fn base_url(&self, department: Department) -> Option<&str> {
        self.get(department).map(|d| d.base_url.as_str())
    }

    /// The knobs of a running department.
    pub fn knobs(&self, department: Department) -> Option<&KnobHandle> {
        self.get(department).map(|d| &d.knobs)
    }

    /// Stops every department, letting calls in progress finish.
    pub async fn stop(self) {
        for department in self.departments {
            department.server.stop().await;
        }
    }
}

impl SimCluster {
    /// Points the hub's department settings at these simulators, with their credentials
    /// (what `cunhub demo` and the tests do); the declared departments by the names of
    /// their built-in definitions. A department not started is left unconfigured.
    pub fn configure(&self, settings: &mut crate::adapters::DepartmentsSettings) {
        use secrecy::SecretString;
        let url = |d| self.base_url(d).unwrap_or_default().to_owned();
        settings.medical_insurance.base_url = url(Department::MedicalInsurance);
        settings.social_security.base_url = url(Department::SocialSecurity);
        settings.social_security.api_key =
            Some(SecretString::from(self.credentials.social_api_key.clone()));
        settings.civil_affairs.base_url = url(Department::CivilAffairs);
        settings.public_security.base_url = url(Department::PublicSecurity);
        settings.public_security.client_id = Some(self.credentials.police_client_id.clone());
        settings.public_security.client_secret = Some(SecretString::from(
            self.credentials.police_client_secret.clone(),
        ));
        let credentials = &self.credentials;
        let secret = |s: &String| Some(SecretString::from(s.clone()));
        let veterans = settings.systems.entry("jilin_veterans".into()).or_default();
        veterans.base_url = url(Department::VeteransAffairs);
        veterans.api_key = secret(&credentials.veterans_app_key);
        let health = settings.systems.entry("jilin_health".into()).or_default();
        health.base_url = url(Department::Health);
        health.client_id = Some(credentials.health_client_id.clone());
        health.client_secret = secret(&credentials.health_client_secret);
        let rural = settings
            .systems
            .entry("jilin_rural_revitalization".into())
            .or_default();
        rural.base_url = url(Department::Agriculture);
        rural.app_id = Some(credentials.rural_app_id.clone());
        rural.app_secret = secret(&credentials.rural_app_secret);
    }
}

/// Villages generated so far, for a progress display.
#[derive(Debug, Default)]
pub struct GenerationProgress {
    done: AtomicUsize,
    total: AtomicUsize,
}

impl GenerationProgress {
    /// (villages done, villages in scope); the total is 0 until generation starts.
    pub fn get(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}
