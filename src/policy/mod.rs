//! The one door for personal data: who may read it, within which region, for which
//! declared purpose, and how much of each field group they see. No I/O here: the
//! decisions are pure, and the audit of each access is collected alongside.

mod access;
mod cell;
mod describe;
mod file;
mod format;
mod matrix;
mod minors;
mod narrow;
mod purpose;
mod scope;
mod settings;
mod work;

pub use access::{AccessError, AccessLog, Caller, CaseRefError, PurposeChannel, case_ref};
pub use file::{AlertAccess, MATRIX_ROLES, Policy, PolicyError};
pub use format::{CURRENT_FORMAT, Defaulted};
pub use matrix::{FieldGroup, Visibility};
pub use minors::Subject;
pub use narrow::narrow;
pub use purpose::Purpose;
pub use settings::AccessSettings;
pub use work::{
    RecordBounds, RecordScope, WORK_ROLES, WorkAccess, WorkAction, WorkRecord, sees_record,
};
