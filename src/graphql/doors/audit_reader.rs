//! The door of the access log.

use async_graphql::Context;

use crate::{
    auth::Role,
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
        Some(p) if !matches!(p.role, Role::Auditor | Role::Admin) => Some(AppError::Forbidden),
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
