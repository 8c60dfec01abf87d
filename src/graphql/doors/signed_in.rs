//! The door of what needs a token but reads no personal data (the catalogue's changes:
//! the workflow then checks the action against the policy).

use async_graphql::Context;

use crate::{
    auth::Principal,
    error::{AppError, ResultExt},
    graphql::context::ContextExt,
    policy::AccessError,
};

/// Any authenticated caller; an anonymous one is refused, and the refusal audited.
pub(crate) fn signed_in<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
) -> async_graphql::Result<&'c Principal> {
    let request = ctx.request()?;
    match request.caller.principal.as_ref() {
        Some(principal) => Ok(principal),
        None => {
            request.access.refused(action, "unauthenticated");
            Err(AppError::from(AccessError::Unauthenticated)).or_graphql()
        }
    }
}
