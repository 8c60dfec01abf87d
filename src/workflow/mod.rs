//! Village services: the catalogue, service requests moving between village, township and
//! county department under working-day deadlines, visits, and service requests opened
//! from alerts (on top of `screening`'s alert follow-up). This module decides and stores;
//! `graphql` only translates. Owns the tables `catalogue_item` ([`catalogue`]),
//! `calendar_day` ([`calendar`]), `service_request` and `request_event` ([`requests`]),
//! `request_rating` ([`ratings`]) and `visit` ([`visits`]).

pub mod alert_request;
pub mod calendar;
pub mod catalogue;
mod catalogue_admin;
pub mod clock;
mod error;
pub mod events;
mod handle;
pub mod lifecycle;
mod opening;
pub mod overdue;
mod rating;
pub mod ratings;
pub mod record_visit;
pub mod relay;
pub mod requests;
pub mod settings;
pub mod tally;
mod transitions;
pub mod visits;

pub use calendar::Calendar;
pub use clock::Clock;
pub use error::WorkflowError;
pub use events::{EventBus, RequestChange};
pub use handle::Workflow;
pub use opening::OpenRequest;
pub use rating::{RateRequest, Rated};
pub use settings::WorkflowSettings;
pub use transitions::{TakeAction, work_action};

pub use crate::store::idempotency::Done;

use crate::auth::Principal;
use requests::Actor;

fn actor(principal: &Principal) -> Actor {
    Actor {
        subject: principal.subject.clone(),
        role: principal.role.as_str().to_owned(),
    }
}

/// A new time-ordered id with a readable prefix (`sr-…`), so ids sort by creation and a
/// keyset page in id order is a page in time order.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}
