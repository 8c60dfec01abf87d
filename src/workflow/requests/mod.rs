//! Service requests in the hub's tables: opening one, moving it along under optimistic
//! versioning ([`changes`]), its timeline, and the work lists ([`listing`]). Every change
//! writes the request and its timeline event in one transaction, and the version check is
//! the first statement of that transaction, so two officers acting at once can never both
//! win. Owns the tables `service_request` and `request_event`.

mod changes;
mod listing;

pub use changes::{CHANNEL, Change, ChangeError, apply, notice, open, parse_notice};
pub use listing::{
    RequestFilter, count, event, events_since, find, overdue, page, routed_to, timeline,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    catalogue::Mode,
    lifecycle::{Action, Status},
};
use crate::domain::Department;

/// How a villager authorised a proxy-handled request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorisationMethod {
    /// A signed authorisation form.
    Written,
    /// A fingerprint on the form (for those who cannot sign).
    Fingerprint,
    /// Recorded on a video call.
    Video,
    /// Given in person to the assistant, witnessed.
    InPersonWitnessed,
}

/// The villager's authorisation of a proxy-handled request: who, how, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisation {
    /// Who authorised: the villager, or their guardian or relative by name.
    pub by: String,
    pub method: AuthorisationMethod,
    pub at: DateTime<Utc>,
}

/// A service request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: String,
    pub resident_id: String,
    pub village_code: String,
    pub catalogue_code: String,
    pub mode: Mode,
    pub status: Status,
    pub department: Option<Department>,
    pub description: String,
    pub authorisation: Option<Authorisation>,
    pub alert_id: Option<String>,
    pub visit_id: Option<String>,
    pub opened_by: String,
    pub step_due: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub escalations: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What kind of timeline event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Opened,
    Transition(Action),
    /// The step passed its deadline and was escalated.
    Escalated,
    /// The villager rated the resolved request (好差评), themselves or through the
    /// village assistant.
    Rated,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Opened => "OPENED",
            Self::Escalated => "ESCALATED",
            Self::Rated => "RATED",
            Self::Transition(action) => match action {
                Action::Accept => "ACCEPTED",
                Action::ResolveByTownship => "RESOLVED_BY_TOWNSHIP",
                Action::Route => "ROUTED",
                Action::Respond => "RESPONDED",
                Action::ReturnToTownship => "RETURNED_TO_TOWNSHIP",
                Action::Return => "RETURNED",
                Action::Resubmit => "RESUBMITTED",
                Action::Reject => "REJECTED",
                Action::ConfirmResolved => "RESOLVED",
                Action::AnswerFollowUp => "FOLLOW_UP_ANSWERED",
            },
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "OPENED" => Some(Self::Opened),
            "ESCALATED" => Some(Self::Escalated),
            "RATED" => Some(Self::Rated),
            other => Action::ALL
                .into_iter()
                .map(Self::Transition)
                .find(|k| k.code() == other),
        }
    }
}

/// One event of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub request_id: String,
    pub seq: i32,
    pub kind: EventKind,
    pub status: Status,
    pub actor_subject: String,
    pub actor_role: String,
    pub note: String,
    pub at: DateTime<Utc>,
    pub due: Option<DateTime<Utc>>,
}

/// A request to be opened.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub id: String,
    pub resident_id: String,
    pub village_code: String,
    pub catalogue_code: String,
    pub mode: Mode,
    pub description: String,
    pub authorisation: Option<Authorisation>,
    pub alert_id: Option<String>,
    pub visit_id: Option<String>,
}

/// Who does something to a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub role: String,
}
