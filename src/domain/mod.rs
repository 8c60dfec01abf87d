//! The hub's own types and the real standards they follow. Nothing here knows about
//! HTTP, GraphQL or the database.

pub mod codes;
pub mod department;
pub mod divisions;
pub mod id_number;
pub mod masking;
pub mod region_code;
pub mod views;

pub use codes::{Ethnicity, Relationship, Sex};
pub use department::Department;
pub use id_number::{IdNumber, IdNumberError};
pub use region_code::{RegionCode, RegionCodeError, RegionLevel};
