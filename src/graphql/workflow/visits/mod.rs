//! Visits (走访) in the schema: recording one (possibly captured offline, possibly opening
//! a service request) and listing them within the caller's scope, a file for each job. A
//! visit's findings are personal data: every read passes the village-services door and
//! is recorded.

mod inputs;
mod mutations;
mod queries;
mod types;

pub use inputs::VisitRequestInput;
pub use mutations::VisitMutation;
pub use queries::VisitQuery;
pub use types::Visit;
