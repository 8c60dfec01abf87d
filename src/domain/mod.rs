//! The hub's own types and the real standards they follow. Nothing here knows about
//! HTTP, GraphQL or the database.

pub mod divisions;
pub mod region_code;

pub use region_code::{RegionCode, RegionCodeError, RegionLevel};
