//! The door of village services: the personal-data door (a declared purpose; a resident
//! needs none for their own), then the caller's `[work]` row of the policy.

use async_graphql::Context;

use crate::{
    auth::{Principal, Role},
    error::{AppError, ResultExt},
    graphql::{context::ContextExt, resident::door},
    policy::RecordScope,
    store::residents,
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

pub(crate) async fn work_door<'c>(
    ctx: &'c Context<'_>,
    action: &'static str,
) -> async_graphql::Result<WorkCaller<'c>> {
    let request = door(ctx, action)?;
    let principal = request
        .caller
        .personal_access()
        .map_err(AppError::from)
        .or_graphql()?;
    let services = ctx.services()?;
    let scope = services.policy.work(principal.role).records;
    let own_resident = match (principal.role, principal.id_number.as_deref()) {
        (Role::Resident, Some(number)) => {
            let hashes = services.vault.lookup_hashes(number.trim());
            residents::find_by_lookup_hashes(&services.db, &hashes)
                .await
                .or_graphql()?
                .map(|record| record.id)
        }
        _ => None,
    };
    Ok(WorkCaller {
        principal,
        scope,
        own_resident,
    })
}
