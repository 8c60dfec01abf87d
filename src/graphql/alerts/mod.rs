//! Alerts of the cross-department checks: stored findings of screening runs listed by
//! region (never a department call on the request path), and a resident's alerts
//! computed live. Both pass the personal-data door, show what the caller's role may see
//! (`screening::AlertScope`), and record what they showed in the access log.

mod follow_up;
mod types;

pub use follow_up::{AlertFollowUp, AlertFollowUpMutation};
pub use types::{Alert, AlertFact, AlertKind};

use std::collections::HashMap;

use async_graphql::{Context, Object, connection::PageInfo};
use chrono::{DateTime, Utc};

use crate::{
    audit::Outcome,
    auth::Role,
    domain::{IdNumber, RegionCode},
    error::{AppError, ResultExt},
    graphql::{
        context::{ContextExt, RequestContext},
        doors,
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
        resident::{CivilKey, departments::DeclaredKey},
        workflow::AlertFollowUpState,
    },
    policy::FieldGroup,
    screening::{
        self, AlertScope,
        findings::{self, AlertFilter},
        follow_up::{self as follow_ups, FollowUp, FollowUpState},
        rules::{RuleSettings, Views},
    },
    store::{StoreError, residents::ResidentRecord},
};

const CURSOR_KIND: &str = "alert";

/// Queries of the findings of screening runs.
#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Alerts found by the latest screening runs in a region, each saying when it was
    /// screened and how it was followed up; alerts dismissed as false positives are left
    /// out (unless asked for) until their facts change. Only alerts the caller's role may see are listed (police: expired ID
    /// cards; a department clerk: those involving their department), within their region.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)] // each is a GraphQL argument
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A division code of 2 to 12 digits: alerts of residents registered within it."
        )]
        region: String,
        #[graphql(desc = "Only alerts of this kind.")] kind: Option<AlertKind>,
        #[graphql(
            name = "followUp",
            desc = "Only alerts whose follow-up is in one of these states (the work list of alerts to follow up: [OPEN]). Without it, every alert but those dismissed as false positives."
        )]
        follow_up: Option<Vec<AlertFollowUpState>>,
        #[graphql(
            desc = "Only alerts found by a screening run, or followed up, at or after this time (for incremental sync)."
        )]
        updated_since: Option<DateTime<Utc>>,
        #[graphql(
            desc = "How many alerts to return (default 20, at most the configured page size)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the alerts after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<AlertConnection> {
        let (principal, region) = doors::listing(ctx, "alerts.list", &region)?;
        let request = ctx.request()?;
        let services = ctx.services()?;
        let limit = page_size(first, &services.limits).or_graphql()?;
        let after = after
            .as_deref()
            .map(|c| decode_cursor(CURSOR_KIND, c))
            .transpose()
            .or_graphql()?;
        let scope = AlertScope::of(&ctx.services()?.policy, principal);
        let Some(prefix) = region else {
            return Ok(AlertConnection::empty());
        };
        let filter = AlertFilter {
            region_prefix: prefix.as_str().to_owned(),
            kind: kind.map(Into::into),
            scope,
            follow_up: follow_up
                .into_iter()
                .flatten()
                .map(FollowUpState::from)
                .collect(),
            updated_since,
        };
        let (stored, has_next) = findings::page(&services.db, &filter, after.as_deref(), limit)
            .await
            .or_graphql()?;
        for alert in &stored {
            record_reads(request, &alert.resident_id, alert.kind, &alert.facts);
        }
        let ids: Vec<String> = stored.iter().map(|a| a.id.clone()).collect();
        let mut follow_ups: HashMap<String, FollowUp> = follow_ups::find_many(&services.db, &ids)
            .await
            .or_graphql()?
            .into_iter()
            .map(|f| (f.alert_id.clone(), f))
            .collect();
        let filter = std::sync::Arc::new(filter);
        Ok(AlertConnection {
            page_info: PageInfo {
                has_previous_page: after.is_some(),
                has_next_page: has_next,
                start_cursor: stored.first().map(|a| encode_cursor(CURSOR_KIND, &a.id)),
                end_cursor: stored.last().map(|a| encode_cursor(CURSOR_KIND, &a.id)),
            },
            edges: stored
                .into_iter()
                .map(|a| AlertEdge {
                    cursor: encode_cursor(CURSOR_KIND, &a.id),
                    node: {
                        let follow_up = follow_ups.remove(&a.id);
                        Alert::stored(a, follow_up)
                    },
                })
                .collect(),
            total: Box::new(move |ctx| {
                let filter = filter.clone();
                let db = ctx.services().map(|s| s.db.clone());
                Box::pin(async move { findings::count(&db?, &filter).await.or_graphql() })
            }),
        })
    }
}

/// One stored alert by its id, as `alerts` would list it: the personal-data door, the
/// resident's village within the caller's scope, the caller's alert scope, the
/// departments' facts recorded as read. An alert the caller may not see (a resident's
/// token sees none) answers like one that does not exist: `None`.
pub(crate) async fn stored_one(
    ctx: &Context<'_>,
    id: &str,
) -> async_graphql::Result<Option<Alert>> {
    let request = doors::personal(ctx, "alerts.list")?;
    let principal = request
        .caller
        .personal_access()
        .map_err(AppError::from)
        .or_graphql()?;
    let services = ctx.services()?;
    let Some(stored) = findings::find(&services.db, id).await.or_graphql()? else {
        request
            .access
            .missed(&format!("alert:{id}"), Outcome::NotFound);
        return Ok(None);
    };
    let within = principal.role != Role::Resident
        && RegionCode::parse(&stored.village_code)
            .ok()
            .and_then(|village| crate::policy::narrow(principal, &village))
            .is_some();
    let scope = AlertScope::of(&services.policy, principal);
    if !within || !scope.admits_parts(stored.kind, &stored.departments()) {
        request
            .access
            .missed(&format!("alert:{id}"), Outcome::OutOfScope);
        return Ok(None);
    }
    record_reads(request, &stored.resident_id, stored.kind, &stored.facts);
    let follow_up = follow_ups::find_many(&services.db, std::slice::from_ref(&stored.id))
        .await
        .or_graphql()?
        .into_iter()
        .next();
    Ok(Some(Alert::stored(stored, follow_up)))
}

crate::connection_types!(
    AlertConnection,
    AlertEdge,
    Alert,
    "alerts",
    "A page of alerts (a Relay connection).",
    "An alert in a page, with its cursor."
);

/// A resident's alerts, checked now against the four departments through the request's
/// loaders. `None` where the caller's role sees no alerts (a resident's own record too).
pub(crate) async fn live(
    ctx: &Context<'_>,
    record: &ResidentRecord,
    id_number: IdNumber,
    own: bool,
) -> async_graphql::Result<Option<Vec<Alert>>> {
    let request = ctx.request()?;
    let principal = request
        .caller
        .personal_access()
        .map_err(AppError::from)
        .or_graphql()?;
    let scope = AlertScope::of(&ctx.services()?.policy, principal);
    if own || scope == AlertScope::Nothing {
        return Ok(None);
    }
    let loaders = &request.departments;
    let civil_key = CivilKey {
        id_number,
        village: record.village_code.clone(),
    };
    let declared_key = DeclaredKey {
        id_number,
        village: record.village_code.clone(),
    };
    let (police, medical, social, civil) = futures_util::join!(
        loaders.police.load_one(id_number),
        loaders.medical.load_one(id_number),
        loaders.social.load_one(id_number),
        loaders.civil.load_one(civil_key),
    );
    // The declared departments and employment are asked as well; one that fails or
    // is not configured leaves its checks unmade rather than failing the others.
    let (employment, veteran, doctor, poverty) = futures_util::join!(
        loaders.employment.load_one(id_number),
        loaders.veterans.load_one(declared_key.clone()),
        loaders.family_doctor.load_one(declared_key.clone()),
        loaders.poverty.load_one(declared_key),
    );
    let registration = answer(police)?;
    let medical = answer(medical)?;
    let social = answer(social)?;
    let assistance = answer(civil)?;
    let (employment, veteran, doctor, poverty) = (
        settled(employment),
        settled(veteran),
        settled(doctor),
        settled(poverty),
    );
    let views = Views {
        registration: registration.as_ref(),
        medical: medical.as_ref(),
        social: social.as_ref(),
        assistance: &assistance,
        employment: known(&employment),
        veteran: known(&veteran),
        family_doctor: known(&doctor),
        poverty: known(&poverty),
    };
    let rules = RuleSettings {
        today: chrono::Local::now().date_naive(),
        elderly_age: ctx.services()?.elderly_age,
    };
    let now = chrono::Utc::now();
    let found: Vec<_> = screening::rules::evaluate(&id_number, &views, &rules)
        .into_iter()
        .filter(|f| scope.admits(f))
        .collect();
    let ids: Vec<String> = found
        .iter()
        .map(|f| format!("{}:{}", record.id, f.kind.code()))
        .collect();
    let mut follow_ups: HashMap<String, FollowUp> =
        follow_ups::find_many(&ctx.services()?.db, &ids)
            .await
            .or_graphql()?
            .into_iter()
            .map(|f| (f.alert_id.clone(), f))
            .collect();
    let shown: Vec<Alert> = found
        .into_iter()
        .zip(ids)
        .map(|(f, id)| {
            record_reads(request, &record.id, f.kind, &f.facts);
            Alert {
                resident_id: record.id.clone(),
                kind: f.kind,
                facts_json: serde_json::to_string(&f.facts).unwrap_or_default(),
                facts: f.facts,
                checked_at: now,
                live: true,
                follow_up: follow_ups.remove(&id),
            }
        })
        .collect();
    Ok(Some(shown))
}

fn answer<T>(
    loaded: Result<
        Option<crate::graphql::resident::departments::loaders::Answer<T>>,
        std::convert::Infallible,
    >,
) -> async_graphql::Result<T> {
    match loaded {
        Ok(Some(Ok(fresh))) => Ok(fresh.value),
        Ok(Some(Err(err))) => Err(AppError::Department(err)).or_graphql(),
        Ok(None) | Err(_) => Err(AppError::from(StoreError::Data(
            "a department answer went missing".into(),
        )))
        .or_graphql(),
    }
}

/// A department's answer if it gave one; `None` when it failed or was not configured.
fn settled<T>(
    loaded: Result<
        Option<crate::graphql::resident::departments::loaders::Answer<Option<T>>>,
        std::convert::Infallible,
    >,
) -> Option<Option<T>> {
    match loaded {
        Ok(Some(Ok(fresh))) => Some(fresh.value),
        _ => None,
    }
}

fn known<T>(settled: &Option<Option<T>>) -> screening::rules::Known<&T> {
    match settled {
        None => screening::rules::Known::Unknown,
        Some(answer) => screening::rules::Known::of(answer.as_ref()),
    }
}

/// An alert shows what its departments said: each is recorded as a read of the field
/// group it comes from.
fn record_reads(
    request: &RequestContext,
    resident: &str,
    kind: screening::AlertKind,
    facts: &[screening::Fact],
) {
    for fact in facts {
        let group = match fact.department.as_str() {
            "medical_insurance" => FieldGroup::MedicalInsurance,
            "social_security" if kind == screening::AlertKind::RelapseUnemployedNoHelp => {
                FieldGroup::Employment
            }
            "social_security" => FieldGroup::Pension,
            "civil_affairs" => FieldGroup::AssistanceProgrammes,
            "veterans_affairs" => FieldGroup::VeteranStatus,
            "health" => FieldGroup::FamilyDoctor,
            "agriculture" => FieldGroup::PovertyMonitoring,
            _ if kind == screening::AlertKind::IdCardExpired => FieldGroup::RegisteredAddress,
            _ => FieldGroup::RegistrationStatus,
        };
        request
            .access
            .read(resident, group, Some(fact.department.as_str()));
    }
}
