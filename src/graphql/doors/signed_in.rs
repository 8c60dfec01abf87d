//! The door of what needs a token but reads no personal data (the catalogue's changes:
//! the workflow then checks the action against the policy).

use async_graphql::Context;

use super::table::admits_here;
use crate::{
    auth::Principal,
    error::{AppError, ResultExt},
    graphql::context::ContextExt,
    policy::AccessError,
};

/// Any authenticated caller whom the root field's row of [`super::table`] admits; anyone
/// else is refused, and the refusal audited.
pub(crate) fn signed_in<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
) -> async_graphql::Result<&'c Principal> {
    let request = ctx.request()?;
    let Some(principal) = request.caller.principal.as_ref() else {
        request.access.refused(action, "unauthenticated");
        return Err(AppError::from(AccessError::Unauthenticated)).or_graphql();
    };
    if !admits_here(ctx, principal.role, &ctx.services()?.policy) {
        request.access.refused(action, "forbidden");
        return Err(AppError::Forbidden).or_graphql();
    }
    Ok(principal)
}
