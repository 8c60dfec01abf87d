//! Residents and households: personal data, read only through the personal-data door
//! (`doors::personal`), confined to the caller's region, and audited.

mod codes;
pub mod departments;
mod loader;
mod types;

pub use departments::CivilKey;
pub use loader::ResidentLoader;
pub use types::{Household, Resident};

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, connection::PageInfo};
use chrono::{Months, NaiveDate};

use crate::{
    audit::Outcome,
    auth::{Principal, Role},
    domain::IdNumber,
    error::{AppError, ResultExt},
    graphql::{
        context::{ContextExt, RequestContext},
        doors,
        node::{self, NodeType},
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
    },
    policy::{FieldGroup, Subject, Visibility},
    store::{
        id_vault::{IdVault, Sealed},
        residents::{self, ResidentFilter as StoreFilter, ResidentRecord},
    },
};
use codes::{RegistrationStatus, Sex};

const CURSOR_KIND: &str = "resident";

/// Queries of residents and households.
#[derive(Default)]
pub struct ResidentQuery;

#[Object]
impl ResidentQuery {
    /// One resident by the hub's id. A resident outside the caller's region answers
    /// exactly like one who does not exist: null.
    pub(crate) async fn resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resident's id in the hub (`Resident.id`).")] id: ID,
    ) -> async_graphql::Result<Option<Resident>> {
        let request = doors::personal(ctx, "resident.read")?;
        let id = ID(node::key_of(NodeType::Resident, &id));
        let record = request
            .residents
            .load_one(id.to_string())
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        admit(ctx, request, record, &id).await
    }

    /// One resident by citizen ID number (公民身份号码). A malformed number is an
    /// `INVALID_ID_NUMBER` error saying what is wrong; a number not registered in the
    /// caller's region returns null.
    async fn resident_by_id_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The 18-character ID number (GB 11643).")] id_number: String,
    ) -> async_graphql::Result<Option<Resident>> {
        let request = doors::personal(ctx, "resident.read")?;
        let number = IdNumber::parse(&id_number)
            .map_err(AppError::from)
            .or_graphql()?;
        let services = ctx.services()?;
        let hashes = services.vault.lookup_hashes(number.as_str());
        let record = residents::find_by_lookup_hashes_here(
            &services.local_reads,
            &services.thread_pools,
            &services.db,
            &hashes,
        )
        .await
        .or_graphql()?;
        // A miss is audited under the keyed hash, which names the number only to whoever
        // holds the key.
        let key = match &record {
            Some(found) => found.id.clone(),
            None => format!("lookup:{}", hashes.first().map_or("", |h| h.hash.as_str())),
        };
        admit(ctx, request, record.map(Arc::new), &key).await
    }

    /// Residents registered in a region, in a stable order. The region is narrowed to
    /// the caller's own scope; a region outside it lists nobody.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn residents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A division code of 2 to 12 digits: residents registered within it.")]
        region: String,
        #[graphql(desc = "Conditions the residents must meet.")] filter: Option<ResidentFilter>,
        #[graphql(
            desc = "How many residents to return (default 20, at most the configured page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the residents after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<ResidentConnection> {
        let (principal, region) = doors::listing(ctx, "residents.list", &region)?;
        let services = ctx.services()?;
        let limit = page_size(first, &services.limits).or_graphql()?;
        let after = after
            .as_deref()
            .map(|c| decode_cursor(CURSOR_KIND, c))
            .transpose()
            .or_graphql()?;
        let Some(prefix) = region else {
            return Ok(ResidentConnection::empty());
        };
        let filter = filter.unwrap_or_default();
        filter.check().or_graphql()?;
        let asks_visits = filter.not_visited_within_days.is_some();
        let filter = filter.into_store(
            prefix.as_str().to_owned(),
            chrono::Local::now().date_naive(),
            services.workflow.clock.today(),
            crate::screening::AlertScope::of(&services.policy, principal),
        );
        let (records, has_next) = residents::page(&services.db, &filter, after.as_deref(), limit)
            .await
            .or_graphql()?;
        let vault = &services.vault;
        let on_page: Vec<(IdNumber, String)> = records
            .iter()
            .filter_map(|r| {
                let sealed = Sealed {
                    key_version: u32::try_from(r.key_version).unwrap_or_default(),
                    ciphertext: r.id_cipher.clone(),
                };
                let number = vault
                    .open(&sealed)
                    .ok()
                    .and_then(|n| IdNumber::parse(&n).ok())?;
                Some((number, r.village_code.clone()))
            })
            .collect();
        departments::prefetch(ctx, &on_page, |group| {
            // Adults decide the page's department calls; a child's groups are decided
            // (and mostly withheld) when they resolve.
            services.policy.visibility(principal, group, Subject::Adult) != Visibility::Withheld
        })
        .await;
        if asks_visits {
            // The list says something about each resident's visits.
            let access = &ctx.request()?.access;
            for record in &records {
                access.record_read(&record.id, "visit");
            }
        }
        let filter = Arc::new(filter);
        Ok(ResidentConnection {
            page_info: PageInfo {
                has_previous_page: after.is_some(),
                has_next_page: has_next,
                start_cursor: records.first().map(|r| encode_cursor(CURSOR_KIND, &r.id)),
                end_cursor: records.last().map(|r| encode_cursor(CURSOR_KIND, &r.id)),
            },
            edges: records
                .into_iter()
                .map(|record| ResidentEdge {
                    cursor: encode_cursor(CURSOR_KIND, &record.id),
                    node: Resident::listed(Arc::new(record)),
                })
                .collect(),
            total: Box::new(move |ctx| {
                let filter = filter.clone();
                let db = ctx.services().map(|s| s.db.clone());
                Box::pin(async move { residents::count(&db?, &filter).await.or_graphql() })
            }),
        })
    }

    /// A registered household by its number (户号); null outside the caller's region,
    /// and for a role the policy withholds household members from.
    pub(crate) async fn household(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The household registration number.")] number: String,
    ) -> async_graphql::Result<Option<Household>> {
        let request = doors::personal(ctx, "household.read")?;
        let principal = request
            .caller
            .personal_access()
            .map_err(AppError::from)
            .or_graphql()?;
        // Decided before the lookup, so that the answer says nothing of which households
        // exist; a resident's own household is theirs to see, as on their record.
        let members_group = FieldGroup::HouseholdMembers;
        if principal.role != Role::Resident
            && ctx
                .services()?
                .policy
                .visibility(principal, members_group, Subject::Adult)
                == Visibility::Withheld
        {
            request.access.withheld(members_group);
            request.access.refused("household.read", "withheld");
            return Ok(None);
        }
        let members = residents::household(&ctx.services()?.db, &number)
            .await
            .or_graphql()?;
        let Some(first) = members.first() else {
            request
                .access
                .missed(&format!("household:{number}"), Outcome::NotFound);
            return Ok(None);
        };
        let vault = &ctx.services()?.vault;
        let own = members
            .iter()
            .any(|m| is_own(&request.caller.principal, vault, m));
        if !own && !request.caller.region_covers(&first.village_code) {
            request
                .access
                .missed(&format!("household:{number}"), Outcome::OutOfScope);
            return Ok(None);
        }
        types::household_of(ctx, &number, own).await
    }
}

crate::connection_types!(
    ResidentConnection,
    ResidentEdge,
    Resident,
    "residents",
    "A page of residents (a Relay connection).",
    "A resident in a page, with its cursor."
);

/// Conditions on the residents a list returns.
#[derive(InputObject, Default)]
pub struct ResidentFilter {
    /// The name contains this text.
    pub name_contains: Option<String>,
    /// Of this sex.
    pub sex: Option<Sex>,
    /// At least this old, in whole years.
    pub min_age: Option<i32>,
    /// At most this old, in whole years.
    pub max_age: Option<i32>,
    /// With this registration status.
    pub registration_status: Option<RegistrationStatus>,
    /// Carrying an alert of this kind, as the latest screening run found (stored
    /// findings; alerts the caller may not see never match).
    pub alert_kind: Option<crate::graphql::alerts::AlertKind>,
    /// Not visited (走访) within this many days (1 to 3660): no visit recorded on or
    /// after today minus this many days. Combine with `visitKeyGroup`, `minAge` or
    /// `alertKind` to find the key-group residents due a visit.
    pub not_visited_within_days: Option<i32>,
    /// With `notVisitedWithinDays`: count only visits made for this key group.
    pub visit_key_group: Option<crate::graphql::workflow::KeyGroup>,
}

impl ResidentFilter {
    /// Checks what the store cannot: a sensible visit window.
    fn check(&self) -> Result<(), AppError> {
        match self.not_visited_within_days {
            Some(days) if !(1..=3660).contains(&days) => Err(AppError::BadUserInput(format!(
                "`notVisitedWithinDays` is 1 to 3660 days, got {days}"
            ))),
            None if self.visit_key_group.is_some() => Err(AppError::BadUserInput(
                "`visitKeyGroup` goes with `notVisitedWithinDays`".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The store's filter; ages count from `today` (local), visit windows from
    /// `visit_day` (the workflow clock's day in China); stored alerts only, and only those
    /// `alert_scope` may see.
    fn into_store(
        self,
        region_prefix: String,
        today: NaiveDate,
        visit_day: NaiveDate,
        alert_scope: crate::screening::AlertScope,
    ) -> StoreFilter {
        let years_ago =
            |years: i32| today.checked_sub_months(Months::new(12 * years.clamp(0, 200) as u32));
        let alert = self
            .alert_kind
            .map(|k| crate::screening::findings::residents_with(k.into(), alert_scope));
        let not_visited = self.not_visited_within_days.and_then(|days| {
            let since = visit_day.checked_sub_days(chrono::Days::new(days.max(0) as u64))?;
            Some(crate::workflow::visits::residents_not_visited_since(
                since,
                self.visit_key_group.map(Into::into),
            ))
        });
        StoreFilter {
            region_prefix,
            name_contains: self.name_contains,
            sex: self.sex.map(|s| s.code().to_owned()),
            born_until: self.min_age.and_then(years_ago),
            born_from: self
                .max_age
                .and_then(|age| years_ago(age + 1))
                .and_then(|d| d.succ_opt()),
            status: self.registration_status.map(Into::into),
            narrowings: alert.into_iter().chain(not_visited).collect(),
        }
    }
}

/// A found record, if the caller may see it; a miss and an out-of-scope record answer
/// alike (null), and are audited apart.
async fn admit(
    ctx: &Context<'_>,
    request: &RequestContext,
    record: Option<Arc<ResidentRecord>>,
    key: &str,
) -> async_graphql::Result<Option<Resident>> {
    let Some(record) = record else {
        request.access.missed(key, Outcome::NotFound);
        return Ok(None);
    };
    let vault = &ctx.services()?.vault;
    if is_own(&request.caller.principal, vault, &record) {
        return Ok(Some(Resident::seen(record, true)));
    }
    if !request.caller.region_covers(&record.village_code) {
        request.access.missed(key, Outcome::OutOfScope);
        return Ok(None);
    }
    Ok(Some(Resident::seen(record, false)))
}

fn is_own(principal: &Option<Principal>, vault: &IdVault, record: &ResidentRecord) -> bool {
    principal.as_ref().is_some_and(|p| {
        p.role == Role::Resident
            && p.id_number
                .as_deref()
                .and_then(|n| IdNumber::parse(n).ok())
                .is_some_and(|n| {
                    u32::try_from(record.lookup_key_version)
                        .ok()
                        .and_then(|v| vault.lookup_hash_under(v, n.as_str()))
                        .is_some_and(|hash| hash == record.lookup_hash)
                })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bounds_become_birth_date_bounds() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
        let filter = ResidentFilter {
            min_age: Some(80),
            max_age: Some(85),
            ..ResidentFilter::default()
        }
        .into_store(
            "220122".into(),
            today,
            today,
            crate::screening::AlertScope::Nothing,
        );
        assert_eq!(filter.born_until, NaiveDate::from_ymd_opt(1946, 11, 28));
        assert_eq!(filter.born_from, NaiveDate::from_ymd_opt(1940, 11, 29));
        assert_eq!(
            types::age_on(
                NaiveDate::from_ymd_opt(1946, 11, 28).unwrap_or_default(),
                today
            ),
            80
        );
        assert_eq!(
            types::age_on(
                NaiveDate::from_ymd_opt(1940, 11, 29).unwrap_or_default(),
                today
            ),
            85
        );
    }
}
