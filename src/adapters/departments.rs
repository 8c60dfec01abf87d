//! The departments' capabilities built from the settings, for the rest of the hub to
//! hold (one per application, shared behind an `Arc`). Each capability is a trait object:
//! the rest of the hub asks through [`super::capabilities`], never a department's
//! adapter, so a stand-in source can replace one field of a built [`Departments`].

use std::sync::Arc;

use super::capabilities::{
    AssistanceLookup, EmploymentLookup, HouseholdRegister, MedicalInsuranceLookup,
    SocialInsuranceLookup,
};
use super::civil::CivilAdapter;
use super::declared::{
    Credentials, DeclaredAdapter, DeclaredSystems, Definition, DefinitionError, load_definitions,
};
use super::medical::{DEFAULT_IN_FLIGHT, MedicalAdapter};
use super::police::PoliceAdapter;
use super::settings::{DepartmentsSettings, SettingsError, SystemSettings, Tuning};
use super::social::SocialAdapter;
use super::upstream::health::DepartmentHealth;
use super::upstream::metrics::HealthCollector;
use super::upstream::{ThreadClients, Upstream};
use crate::{coordination::Coordination, domain::Department};

/// Why the adapters could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The HTTP client could not be made (TLS backend).
    #[error("the HTTP client for {department} could not be built")]
    Client { department: Department },
    /// A department definition (built in or from the definitions folder) has mistakes.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Definitions(Vec<DefinitionError>),
    /// `[departments.systems.NAME]` names no definition.
    #[error("departments.systems.{0}: no department definition has this name")]
    UnknownSystem(String),
}

/// What the four departments with systems can be asked, one capability per field.
/// Health and metrics always describe the departments built from the settings.
pub struct Departments {
    /// Medical insurance enrolments (医保).
    pub medical: Arc<dyn MedicalInsuranceLookup>,
    /// Social insurance and pension (人社).
    pub social: Arc<dyn SocialInsuranceLookup>,
    /// Employment registration and training (人社).
    pub employment: Arc<dyn EmploymentLookup>,
    /// Social assistance, by person or by village (民政).
    pub civil: Arc<dyn AssistanceLookup>,
    /// The household register: lookups and region listings (公安).
    pub police: Arc<dyn HouseholdRegister>,
    /// The systems declared by definition files (veterans, health, rural
    /// revitalisation, and any the settings' folder adds).
    pub declared: Arc<DeclaredSystems>,
    upstreams: Vec<Arc<Upstream>>,
}

impl std::fmt::Debug for Departments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Departments")
            .field("upstreams", &self.upstreams)
            .finish_non_exhaustive()
    }
}

impl Departments {
    /// Builds the adapters (one pooled client per department) after validating the
    /// settings. Call within the tokio runtime that will use them.
    pub fn new(settings: &DepartmentsSettings) -> Result<Self, BuildError> {
        Self::with_coordination(settings, &Coordination::off())
    }

    /// Builds the adapters whose budgets (calls a second, calls in flight) are shared
    /// with the other instances through `coordination`.
    pub fn with_coordination(
        settings: &DepartmentsSettings,
        coordination: &Coordination,
    ) -> Result<Self, BuildError> {
        settings.validate()?;
        let defaults = &settings.defaults;
        let upstream = |department, dept: &super::settings::DepartmentSettings| {
            let mut tuning = dept.tuning(defaults);
            if department == Department::MedicalInsurance
                && dept.max_in_flight.is_none()
                && tuning.max_in_flight == 0
            {
                // The platform answers "busy" beyond its own limit: stay under it.
                tuning.max_in_flight = DEFAULT_IN_FLIGHT;
            }
            let client = ThreadClients::new(tuning.connect_timeout)
                .map_err(|_| BuildError::Client { department })?;
            Ok::<_, BuildError>(Arc::new(Upstream::new(
                department,
                client,
                &dept.base_url,
                tuning,
                coordination,
            )))
        };
        let medical = upstream(Department::MedicalInsurance, &settings.medical_insurance)?;
        let social = upstream(Department::SocialSecurity, &settings.social_security)?;
        let civil = upstream(Department::CivilAffairs, &settings.civil_affairs)?;
        let police = upstream(Department::PublicSecurity, &settings.public_security)?;
        let mut upstreams = vec![
            medical.clone(),
            social.clone(),
            civil.clone(),
            police.clone(),
        ];
        let declared = declared_systems(settings, &mut upstreams, coordination)?;
        // One adapter answers both of social security's capabilities (one API key, one
        // pool of calls).
        let social = Arc::new(SocialAdapter::new(
            social,
            settings.social_security.api_key.clone(),
        ));
        Ok(Self {
            medical: Arc::new(MedicalAdapter::new(medical, &settings.medical_insurance)),
            employment: social.clone(),
            social,
            civil: Arc::new(CivilAdapter::new(civil)),
            police: Arc::new(PoliceAdapter::new(police, &settings.public_security)),
            declared: Arc::new(declared),
            upstreams,
        })
    }

    /// Each department's health now (medical, social, civil, police, then the first
    /// declared system of each further department).
    pub fn health(&self) -> Vec<DepartmentHealth> {
        self.upstreams.iter().map(|u| u.health()).collect()
    }

    /// One department's health now (`None` for a department without a system).
    pub fn health_of(&self, department: Department) -> Option<DepartmentHealth> {
        self.upstreams
            .iter()
            .find(|u| u.department == department)
            .map(|u| u.health())
    }

    /// Registers the departments' health figures in `registry` (metric names start
    /// with `department_`, label `department`), read fresh at every scrape.
    pub fn register_metrics(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(HealthCollector::new(self.upstreams.clone())?))
    }
}

/// The declared systems of the built-in definitions and the settings' folder, each with
/// its address and credentials from `[departments.systems.NAME]`. Health and metrics
/// carry one system per department (the first built).
fn declared_systems(
    settings: &DepartmentsSettings,
    upstreams: &mut Vec<Arc<Upstream>>,
    coordination: &Coordination,
) -> Result<DeclaredSystems, BuildError> {
    let definitions =
        load_definitions(settings.definitions_dir.as_deref()).map_err(BuildError::Definitions)?;
    if let Some(name) = settings
        .systems
        .keys()
        .find(|name| !definitions.iter().any(|d| &d.name == *name))
    {
        return Err(BuildError::UnknownSystem(name.clone()));
    }
    let mut systems = DeclaredSystems::default();
    for definition in definitions {
        let own = settings
            .systems
            .get(&definition.name)
            .cloned()
            .unwrap_or_default();
        let tuning = system_tuning(&settings.defaults, &definition, &own);
        let department = definition.department;
        let client = ThreadClients::new(tuning.connect_timeout)
            .map_err(|_| BuildError::Client { department })?;
        let base_url = if own.base_url.is_empty() {
            definition.base_url.clone().unwrap_or_default()
        } else {
            own.base_url.clone()
        };
        let upstream = Arc::new(Upstream::new(
            department,
            client,
            &base_url,
            tuning,
            coordination,
        ));
        if !upstreams.iter().any(|u| u.department == department) {
            upstreams.push(upstream.clone());
        }
        let credentials = Credentials {
            api_key: own.api_key,
            client_id: own.client_id,
            client_secret: own.client_secret,
            app_id: own.app_id,
            app_secret: own.app_secret,
        };
        let definition = Arc::new(definition);
        match definition.view {
            "veteran" => systems.veterans.push(Arc::new(DeclaredAdapter::new(
                definition,
                upstream,
                credentials,
            ))),
            "family_doctor" => systems.family_doctor.push(Arc::new(DeclaredAdapter::new(
                definition,
                upstream,
                credentials,
            ))),
            _ => systems.poverty.push(Arc::new(DeclaredAdapter::new(
                definition,
                upstream,
                credentials,
            ))),
        }
    }
    Ok(systems)
}

/// The defaults, then the definition's capacity and freshness, then the settings.
fn system_tuning(defaults: &Tuning, definition: &Definition, own: &SystemSettings) -> Tuning {
    let mut tuning = defaults.clone();
    if let Some(n) = definition.max_in_flight {
        tuning.max_in_flight = n;
    }
    if let Some(ttl) = definition.cache_ttl {
        tuning.cache_ttl = ttl;
    }
    if let Some(stale) = definition.stale_for {
        tuning.stale_for = stale;
    }
    tuning.timeout = own.timeout.unwrap_or(tuning.timeout);
    tuning.retries = own.retries.unwrap_or(tuning.retries);
    tuning.max_in_flight = own.max_in_flight.unwrap_or(tuning.max_in_flight);
    tuning.cache_ttl = own.cache_ttl.unwrap_or(tuning.cache_ttl);
    tuning.stale_for = own.stale_for.unwrap_or(tuning.stale_for);
    tuning
}
