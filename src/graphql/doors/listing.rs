//! The door of a region-wide listing.

use async_graphql::Context;

use super::personal;
use crate::{
    auth::{Principal, Role},
    domain::RegionCode,
    error::{AppError, ResultExt},
    policy::narrow,
};

/// The personal-data door, no listings for a resident's own token, and the part of
/// `region` inside the caller's scope (`None`: nothing of theirs, which lists nobody
/// rather than failing).
pub(crate) fn listing<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
    region: &str,
) -> async_graphql::Result<(&'c Principal, Option<RegionCode>)> {
    let request = personal(ctx, action)?;
    let principal = request
        .caller
        .personal_access()
        .map_err(AppError::from)
        .or_graphql()?;
    if principal.role == Role::Resident {
        request.access.refused(action, "forbidden");
        return Err(AppError::Forbidden).or_graphql();
    }
    let region = RegionCode::parse(region)
        .map_err(AppError::from)
        .or_graphql()?;
    Ok((principal, narrow(principal, &region)))
}
