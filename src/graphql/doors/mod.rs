//! The doors a resolver passes before it reads or changes anything, one file each, so
//! that every resolver asks the same questions in the same order and every refusal is
//! audited alike:
//!
//! - [`personal`]: personal data at all (a token, a role that reads personal data, a
//!   declared purpose unless a resident reads their own);
//! - [`listing`]: a region-wide listing (the personal door, no resident tokens, the asked
//!   region narrowed to the caller's scope);
//! - [`work`]: village services (the personal door, then the caller's `[work]` row);
//! - [`signed_in`]: anything else that needs a token but reads no personal data;
//! - [`audit_reader`]: the access log (auditors and admins).
//!
//! [`table`] says which door each root field passes, for the doors and the role schemas.

mod audit_reader;
mod listing;
mod personal;
mod signed_in;
pub mod table;
mod work;

pub(crate) use audit_reader::audit_reader;
pub(crate) use listing::listing;
pub(crate) use personal::personal;
pub(crate) use signed_in::signed_in;
pub(crate) use work::{WorkCaller, work};
