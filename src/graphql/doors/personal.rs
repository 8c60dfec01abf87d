//! The door every personal-data resolver passes.

use async_graphql::Context;

use super::table::admits_here;
use crate::{
    error::{AppError, ResultExt},
    graphql::context::{ContextExt, RequestContext},
};

/// An authenticated caller whose role may read personal data, with a declared purpose
/// (residents excepted), whom the root field's row of [`super::table`] admits. A refusal
/// is audited like a read.
pub(crate) fn personal<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
) -> async_graphql::Result<&'c RequestContext> {
    let request = ctx.request()?;
    let principal = match request.caller.personal_access() {
        Ok(principal) => principal,
        Err(err) => {
            request.access.refused(action, err.reason());
            return Err(AppError::from(err)).or_graphql();
        }
    };
    if !admits_here(ctx, principal.role, &ctx.services()?.policy) {
        request.access.refused(action, "forbidden");
        return Err(AppError::Forbidden).or_graphql();
    }
    Ok(request)
}
