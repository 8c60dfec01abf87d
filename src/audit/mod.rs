//! The access log: every read of personal data, granted or refused, appended to a hash
//! chain before the response leaves. Verification walks the chain and names the first
//! broken link.

mod chain;
mod event;
mod verify;
mod writer;

pub use event::{Actor, AuditEvent, Outcome};
pub use verify::{BrokenLink, VerifyReport, verify};
pub use writer::AuditLog;

/// The log could not be written; no personal data may be returned.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log is unavailable")]
    Unavailable,
}
