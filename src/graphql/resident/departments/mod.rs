//! Department-backed fields of a resident: loaders that batch per department, and the
//! objects that show their answers.

pub mod enums;
pub mod loaders;
pub mod views;

pub use loaders::{CivilKey, DepartmentLoaders, DepartmentOutcomes};
