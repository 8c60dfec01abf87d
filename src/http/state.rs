//! What every handler shares, built once by `startup`.

use std::sync::Arc;

use super::{ServerSettings, documents::Documents, metrics::Metrics, quota::Quotas};
use crate::{
    auth::JwtVerifier,
    coordination::Coordination,
    graphql::{CunhubSchema, QueryLimits, Services, parsed::ParsedDocuments},
};

/// What every handler shares.
pub struct AppState {
    pub schema: CunhubSchema,
    pub services: Services,
    pub verifier: JwtVerifier,
    pub metrics: Metrics,
    /// Registered documents and automatically persisted queries.
    pub documents: Documents,
    /// Documents already parsed, by their text.
    pub parsed: ParsedDocuments,
    pub settings: HttpSettings,
    /// Set on SIGTERM: readiness fails, answers close their connections, sockets close.
    pub drain: super::Drain,
    /// The Redis shared with the other instances (its mode is part of readiness).
    pub coordination: Coordination,
    /// Per-client limits, counted with the other instances.
    pub quotas: std::sync::Arc<Quotas>,
}

/// The settings the HTTP surface reads while it serves.
pub struct HttpSettings {
    pub server: ServerSettings,
    /// The same limits the schema enforces, for the checks made before it runs.
    pub limits: Arc<QueryLimits>,
    /// Whether the hub's settings passed validation when it was built; readiness says so.
    pub valid: bool,
}
