//! The access log: every read of personal data, granted or refused, appended to a hash
//! chain before the response leaves. The chain head is signed at intervals
//! (checkpoints). Verification walks the chain and the checkpoints and names the first
//! broken link. Several instances append to the one chain, taking turns per batch under
//! a PostgreSQL advisory lock (the writer's module docs; docs/architecture.md, "Several
//! instances"). Owns the tables `audit_record` (written by the writer task only) and
//! `audit_checkpoint`.

pub mod chain;
mod checkpoint;
mod event;
mod key;
pub mod query;
mod settings;
mod verify;
mod writer;

pub use checkpoint::{checkpoint_message, sign_head, spawn_checkpoints};
pub use event::{Actor, AuditEvent, Outcome};
pub use key::{CheckpointKey, CheckpointKeyError, CheckpointKeyring};
pub use query::AuditEntry;
pub use settings::AuditSettings;
pub use verify::{BrokenLink, VerifyReport, verify, verify_with_key, verify_with_keys};
pub use writer::{AuditLog, HeadFound, WriterDatabase};

/// The log could not be written; no personal data may be returned.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log is unavailable")]
    Unavailable,
}
