//! The GraphQL schema, split by domain. Resolvers reach the caller and the hub's services
//! through [`context::ContextExt`]; they never talk to a department or the database
//! driver directly.

pub mod alerts;
mod argument_checks;
pub mod audit_flush;
pub mod audit_log;
pub mod context;
pub mod date_arguments;
pub(crate) mod doors;
pub mod health;
mod hooks;
pub mod limits;
pub mod node;
mod null_propagation;
pub mod operation_span;
pub mod pagination;
pub mod parsed;
pub mod region;
pub mod resident;
pub mod response;
pub mod role_schema;
pub mod scalars;
pub mod schema;
mod settings;
pub mod statistics;
mod validated;
pub mod workflow;

pub use context::{LiveOperation, RequestContext, Services};
pub use doors::table as root_fields;
pub use schema::{CunhubSchema, build_schema, sdl};
pub use settings::QueryLimits;
