//! Adapters of the departmental systems: one module per department behind one shared
//! machinery (deadlines, retries, circuit breaker, bounded concurrency, cache, health).
//! Protocol quirks stay inside each department's module; the public API speaks only the
//! hub's own types ([`crate::domain::views`]) and [`AdapterError`].

pub mod civil;
pub mod context;
pub(crate) mod decode;
pub mod error;
pub mod settings;
pub mod social;
pub(crate) mod upstream;

pub use civil::CivilAdapter;
pub use context::CallContext;
pub use error::{AdapterError, ErrorKind, Rejection, Unavailability};
pub use settings::{DepartmentSettings, DepartmentsSettings, SettingsError, Tuning};
pub use social::SocialAdapter;
pub use upstream::breaker::BreakerState;
pub use upstream::cache::{Fresh, Source};
pub use upstream::health::{DepartmentHealth, LatencyPercentiles};
