//! sea-orm entities of the hub's own tables. They describe storage only: the GraphQL
//! schema is designed separately for its readers.

pub mod alert;
pub mod audit_checkpoint;
pub mod audit_record;
pub mod region;
pub mod resident;
pub mod screening_run;
pub mod sync_state;
