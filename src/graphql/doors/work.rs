//! The door of village services: the personal-data door (a declared purpose; a resident
//! needs none for their own), then the caller's `[work]` row of the policy.

use async_graphql::Context;

use super::personal;
use crate::{
    auth::{Principal, Role},
    error::{AppError, ResultExt},
    graphql::context::ContextExt,
    policy::RecordScope,
    store::id_vault::IdVault,
    workflow::lifecycle::Level,
};

/// A caller let in to village services.
pub(crate) struct WorkCaller<'c> {
    pub principal: &'c Principal,
    pub scope: RecordScope,
    /// For a resident's token: their own resident id.
    pub own_resident: Option<String>,
}

impl WorkCaller<'_> {
    /// The level the caller acts at.
    pub fn level(&self) -> Option<Level> {
        match self.principal.role {
            Role::VillageAssistant => Some(Level::Village),
            Role::TownshipOfficer => Some(Level::Township),
            Role::DepartmentClerk => Some(Level::Department),
            _ => None,
        }
    }
}

pub(crate) fn work<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
) -> async_graphql::Result<WorkCaller<'c>> {
    let request = personal(ctx, action)?;
    let principal = request
        .caller
        .personal_access()
        .map_err(AppError::from)
        .or_graphql()?;
    let services = ctx.services()?;
    let scope = services.policy.work(principal.role).records;
    let own_resident = match principal.role {
        Role::Resident => principal
            .id_number
            .as_deref()
            .map(|n| IdVault::resident_id(&services.vault.lookup_hash(n.trim()))),
        _ => None,
    };
    Ok(WorkCaller {
        principal,
        scope,
        own_resident,
    })
}
