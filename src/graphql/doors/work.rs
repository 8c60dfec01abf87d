//! The door of village services: the personal-data door (a declared purpose; a resident
//! needs none for their own), then the caller's `[work]` row of the policy.

use async_graphql::Context;

use super::personal;
use crate::{
    auth::{Principal, Role},
    domain::RegionCode,
    error::{AppError, ResultExt},
    graphql::context::ContextExt,
    policy::{RecordBounds, RecordScope, WorkRecord, narrow, sees_record},
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

    /// The service requests and visits the caller sees; `None`: none.
    pub fn bounds(&self) -> Option<RecordBounds> {
        RecordBounds::of(self.principal, self.scope, self.own_resident.as_deref())
    }

    /// Whether the caller sees `record`.
    pub fn sees(&self, record: &WorkRecord<'_>) -> bool {
        sees_record(
            self.principal,
            self.scope,
            self.own_resident.as_deref(),
            record,
        )
    }

    /// What a listing asking for `region` (a division code; default the caller's
    /// scope) and `resident` shows the caller; `None`: nothing.
    pub fn listing_bounds(
        &self,
        region: Option<&str>,
        resident: Option<String>,
    ) -> async_graphql::Result<Option<RecordBounds>> {
        let region = match region {
            Some(code) => {
                let code = RegionCode::parse(code)
                    .map_err(AppError::from)
                    .or_graphql()?;
                match narrow(self.principal, &code) {
                    Some(narrowed) => narrowed.as_str().to_owned(),
                    None => return Ok(None),
                }
            }
            None => self.principal.region.as_str().to_owned(),
        };
        Ok(self.bounds().and_then(|b| b.within(region, resident)))
    }
}

pub(crate) async fn work<'c>(
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
    let own_resident = match (principal.role, principal.id_number.as_deref()) {
        (Role::Resident, Some(number)) => {
            let hashes = services.vault.lookup_hashes(number.trim());
            residents::find_by_lookup_hashes_here(
                &services.local_reads,
                &services.thread_pools,
                &services.db,
                &hashes,
            )
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
