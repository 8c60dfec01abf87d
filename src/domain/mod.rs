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

/// China Standard Time: deadlines end at midnight in Beijing (no daylight saving), and
/// months and days of statistics are Beijing's.
pub const CHINA: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};
