//! The hub's own types and the real standards they follow. Nothing here knows about
//! HTTP, GraphQL or the database.

pub mod department;
pub mod divisions;
pub mod region_code;
pub mod views;

pub use department::Department;
pub use region_code::{RegionCode, RegionCodeError, RegionLevel};
