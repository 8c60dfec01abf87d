//! The door of the access log.

use async_graphql::Context;

use super::table::Door;
use crate::{
    error::{AppError, ResultExt},
    graphql::context::{ContextExt, RequestContext},
    policy::AccessError,
};

/// The `auditor` and `admin` roles only (`FORBIDDEN` for every other role,
/// `UNAUTHENTICATED` without a token); a refusal is audited as `audit.read`.
pub(crate) fn audit_reader<'c>(ctx: &'c Context<'_>) -> async_graphql::Result<&'c RequestContext> {
    let request = ctx.request()?;
    let refusal = match &request.caller.principal {
        None => Some(AppError::Access(AccessError::Unauthenticated)),
        Some(p) if !Door::AuditReader.admits(Some(p.role), &ctx.services()?.policy) => {
            Some(AppError::Forbidden)
        }
        Some(_) => None,
    };
    if let Some(err) = refusal {
        let reason = match err {
            AppError::Forbidden => "forbidden",
            _ => "unauthenticated",
        };
        request.access.refused("audit.read", reason);
        return Err(err).or_graphql();
    }
    Ok(request)
}
