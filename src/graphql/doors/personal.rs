//! The door every personal-data resolver passes.

use async_graphql::Context;

use crate::{
    error::{AppError, ResultExt},
    graphql::context::{ContextExt, RequestContext},
};

/// An authenticated caller whose role may read personal data, with a declared purpose
/// (residents excepted). A refusal is audited like a read.
pub(crate) fn personal<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
) -> async_graphql::Result<&'c RequestContext> {
    let request = ctx.request()?;
    if let Err(err) = request.caller.personal_access() {
        request.access.refused(action, err.reason());
        return Err(AppError::from(err)).or_graphql();
    }
    Ok(request)
}
