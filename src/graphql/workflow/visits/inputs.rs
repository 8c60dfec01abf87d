//! What a caller sends about visits: a list's conditions, a visit as captured, and the
//! service request to open with it.

use crate::graphql::scalars::Date;
use async_graphql::{ID, InputObject};

use crate::{
    graphql::workflow::{
        enums::{HandlingMode, KeyGroup},
        requests::AuthorisationInput,
    },
    workflow::{record_visit::VisitRequest, requests::Authorisation},
};

/// Which visits a list shows; all given conditions hold together.
#[derive(InputObject, Default)]
pub struct VisitFilter {
    /// A division code (2 to 12 digits) within your scope; default all of your scope.
    pub region: Option<String>,
    /// Only visits to this resident (`Resident.id`; its global form works too).
    pub resident_id: Option<ID>,
    /// Only visits for this key group.
    pub key_group: Option<KeyGroup>,
    /// Only visits on or after this day.
    pub visited_since: Option<Date>,
}

/// A visit as the device captured it.
#[derive(InputObject)]
pub struct RecordVisitInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// recording twice (8 to 80 letters, digits, `-`, `_`, `:`).
    pub idempotency_key: String,
    /// The visit's id, generated on the device when it was captured (8 to 40 letters,
    /// digits, `-` or `_`; a UUID fits). Sent again with the same content, it answers
    /// with the visit already recorded; with other content, IDEMPOTENCY_KEY_REUSED.
    pub id: ID,
    /// The resident visited, of the caller's village (`Resident.id`; its global form
    /// works too).
    pub resident_id: ID,
    /// The key group the resident is visited as.
    pub key_group: KeyGroup,
    /// The day of the visit (not in the future; earlier when captured offline).
    pub visited_on: Date,
    /// What the visit found, in 1 to 4000 characters.
    pub findings: String,
    /// A service request to open from the visit, recorded together with it.
    pub open_request: Option<VisitRequestInput>,
}

/// A service request opened from a visit or an alert, for the resident concerned.
#[derive(InputObject)]
pub struct VisitRequestInput {
    /// The catalogue item, e.g. `JL-MZ-001`.
    pub catalogue_code: String,
    /// How the village will handle it (one the item offers).
    pub mode: HandlingMode,
    /// The need, in 1 to 2000 characters.
    pub description: String,
    /// Required when `mode` is PROXY: the villager's authorisation.
    pub authorisation: Option<AuthorisationInput>,
}

impl VisitRequestInput {
    pub(crate) fn into_request(self) -> VisitRequest {
        VisitRequest {
            catalogue_code: self.catalogue_code.trim().to_owned(),
            mode: self.mode.into(),
            description: self.description,
            authorisation: self.authorisation.map(|a| Authorisation {
                by: a.by.trim().to_owned(),
                method: a.method.into(),
                at: a.at,
            }),
        }
    }
}
