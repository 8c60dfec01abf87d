//! What a caller sends about service requests: a work list's conditions, and the input of
//! each mutation.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};

use crate::graphql::workflow::enums::{
    AuthorisationMethod, Department, HandlingMode, SatisfactionLevel, ServiceRequestAction,
    ServiceRequestStatus,
};

/// Which service requests a work list shows; all given conditions hold together.
#[derive(InputObject, Default)]
pub struct ServiceRequestFilter {
    /// A division code (2 to 12 digits) within your scope; default all of your scope.
    pub region: Option<String>,
    /// Only requests in these statuses.
    pub statuses: Option<Vec<ServiceRequestStatus>>,
    /// Only requests waiting for your level to act (your village's to confirm or
    /// resubmit, your township's to accept or route, your department's to respond).
    pub awaiting_me: Option<bool>,
    /// Only overdue (true) or only not overdue (false) requests.
    pub overdue: Option<bool>,
    /// Only requests changed at or after this time (for incremental sync).
    pub updated_since: Option<DateTime<Utc>>,
    /// Only requests against this catalogue item.
    pub catalogue_code: Option<String>,
    /// Only requests about this resident (`Resident.id`; its global form from `node` works too).
    pub resident_id: Option<ID>,
}

/// Opening a service request for a resident of the caller's village.
#[derive(InputObject)]
pub struct OpenServiceRequestInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// opening a second request (8 to 80 letters, digits, `-`, `_`, `:`).
    pub idempotency_key: String,
    /// The resident the need is about (`Resident.id`; its global form works too).
    pub resident_id: ID,
    /// The catalogue item, e.g. `JL-MZ-001`.
    pub catalogue_code: String,
    /// How the village will handle it (one the item offers).
    pub mode: HandlingMode,
    /// The need, in 1 to 2000 characters.
    pub description: String,
    /// Required when `mode` is PROXY: the villager's authorisation.
    pub authorisation: Option<AuthorisationInput>,
}

/// The villager's authorisation of a proxy-handled request.
#[derive(InputObject)]
pub struct AuthorisationInput {
    /// Who authorised: the villager, or their guardian or relative by name.
    pub by: String,
    /// How they authorised it.
    pub method: AuthorisationMethod,
    /// When it was given (not in the future).
    pub at: DateTime<Utc>,
}

/// Acting on a service request.
#[derive(InputObject)]
pub struct ActOnServiceRequestInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// acting twice.
    pub idempotency_key: String,
    /// The request to act on (`ServiceRequest.id`; its global form works too).
    pub request_id: ID,
    /// The version the caller decided on; if the request changed since, the answer is
    /// CONFLICT and nothing changes.
    pub expected_version: i32,
    /// What to do.
    pub action: ServiceRequestAction,
    /// What was done or why; required for RETURN, RETURN_TO_TOWNSHIP and REJECT.
    #[graphql(default)]
    pub note: String,
    /// For ROUTE: the county department to route to.
    pub department: Option<Department>,
}

/// Rating a resolved service request (好差评): by the resident it is about, or by an
/// assistant of their village on their behalf (recorded as such). A request is rated
/// once.
#[derive(InputObject)]
pub struct RateServiceRequestInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// a second rating (8 to 80 letters, digits, `-`, `_`, `:`).
    pub idempotency_key: String,
    /// The request (`ServiceRequest.id`).
    pub request_id: ID,
    /// How satisfied the villager is. DISSATISFIED and VERY_DISSATISFIED reopen the
    /// request for the township, which answers the rating (ANSWER_FOLLOW_UP) within its
    /// working-day deadline.
    pub level: SatisfactionLevel,
    /// What the villager says, in at most 500 characters.
    pub comment: Option<String>,
}
