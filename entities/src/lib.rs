//! sea-orm entities of the hub's own tables. They describe storage only: the GraphQL
//! schema is designed separately for its readers.

pub mod alert;
pub mod alert_follow_up;
pub mod audit_checkpoint;
pub mod audit_record;
pub mod calendar_day;
pub mod catalogue_item;
pub mod idempotency_key;
pub mod region;
pub mod request_event;
pub mod request_rating;
pub mod resident;
pub mod screening_item;
pub mod screening_run;
pub mod service_request;
pub mod stat_snapshot;
pub mod sync_state;
pub mod village_rollup;
pub mod visit;
