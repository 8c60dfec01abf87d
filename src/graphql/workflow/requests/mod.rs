//! Service requests in the schema: the request, its timeline, the work lists and the
//! mutations that open and move one, a file for each job. A request is personal data
//! (its resident, its notes): every read passes the village-services door and is
//! recorded in the audit log.

mod inputs;
mod mutations;
mod queries;
mod types;

pub use inputs::{AuthorisationInput, ServiceRequestFilter};
pub use mutations::ServiceRequestMutation;
pub use queries::ServiceRequestQuery;
pub(crate) use types::work_record;
pub use types::{ServiceRequest, ServiceRequestEvent};
