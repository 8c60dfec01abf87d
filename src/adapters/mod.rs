//! Adapters of the departmental systems: one module per department behind one shared
//! machinery (deadlines, retries, circuit breaker, bounded concurrency, cache, health).
//! Protocol quirks stay inside each department's module; the public API speaks only the
//! hub's own types ([`crate::domain::views`]) and [`AdapterError`].
//!
//! What the hub asks of a department is one trait per capability ([`capabilities`]);
//! the department adapters implement them.
//!
//! Build a [`Departments`] from [`DepartmentsSettings`], give every call a
//! [`CallContext`] (the request's deadline and id), and read each answer's freshness
//! from [`Fresh`].

pub(crate) mod budget;
pub mod capabilities;
pub mod civil;
pub mod context;
pub mod declared;
pub(crate) mod decode;
pub mod departments;
pub mod error;
pub mod medical;
pub mod police;
pub mod settings;
pub mod social;
pub(crate) mod upstream;

pub use capabilities::{
    AssistanceLookup, EmploymentLookup, HouseholdRegister, InsurancesResult,
    MedicalInsuranceLookup, MedicalResult, SocialInsuranceLookup,
};
pub use civil::CivilAdapter;
pub use context::CallContext;
pub use departments::{BuildError, Departments};
pub use error::{AdapterError, ErrorKind, Rejection, Unavailability};
pub use medical::MedicalAdapter;
pub use police::PoliceAdapter;
pub use settings::{
    DepartmentSettings, DepartmentsSettings, SettingsError, SystemSettings, Tuning,
};
pub use social::SocialAdapter;
pub use upstream::breaker::BreakerState;
pub use upstream::cache::{Fresh, Source};
pub use upstream::health::{DepartmentHealth, LatencyPercentiles};
