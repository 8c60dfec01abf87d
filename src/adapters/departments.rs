//! The four adapters built from the settings, for the rest of the hub to hold (one per
//! application, shared behind an `Arc`).

use std::sync::Arc;

use super::civil::CivilAdapter;
use super::medical::{DEFAULT_IN_FLIGHT, MedicalAdapter};
use super::police::PoliceAdapter;
use super::settings::{DepartmentsSettings, SettingsError};
use super::social::SocialAdapter;
use super::upstream::health::DepartmentHealth;
use super::upstream::metrics::HealthCollector;
use super::upstream::{Upstream, build_client};
use crate::domain::Department;

/// Why the adapters could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The HTTP client could not be made (TLS backend).
    #[error("the HTTP client for {department} could not be built")]
    Client { department: Department },
}

/// The adapters of the four departments with systems.
#[derive(Debug)]
pub struct Departments {
    /// 医保
    pub medical: MedicalAdapter,
    /// 人社
    pub social: SocialAdapter,
    /// 民政
    pub civil: CivilAdapter,
    /// 公安
    pub police: PoliceAdapter,
    upstreams: Vec<Arc<Upstream>>,
}

impl Departments {
    /// Builds the adapters (one pooled client per department) after validating the
    /// settings. Call within the tokio runtime that will use them.
    pub fn new(settings: &DepartmentsSettings) -> Result<Self, BuildError> {
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
            let client = build_client(tuning.connect_timeout)
                .map_err(|_| BuildError::Client { department })?;
            Ok::<_, BuildError>(Arc::new(Upstream::new(
                department,
                client,
                &dept.base_url,
                tuning,
            )))
        };
        let medical = upstream(Department::MedicalInsurance, &settings.medical_insurance)?;
        let social = upstream(Department::SocialSecurity, &settings.social_security)?;
        let civil = upstream(Department::CivilAffairs, &settings.civil_affairs)?;
        let police = upstream(Department::PublicSecurity, &settings.public_security)?;
        Ok(Self {
            upstreams: vec![
                medical.clone(),
                social.clone(),
                civil.clone(),
                police.clone(),
            ],
            medical: MedicalAdapter::new(medical, &settings.medical_insurance),
            social: SocialAdapter::new(social, settings.social_security.api_key.clone()),
            civil: CivilAdapter::new(civil),
            police: PoliceAdapter::new(police, &settings.public_security),
        })
    }

    /// Each department's health now (medical, social, civil, police).
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
