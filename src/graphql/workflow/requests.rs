//! Service requests in the schema: the request, its timeline, the work lists and the
//! mutations that open and move one. A request is personal data (its resident, its
//! notes): every read passes the personal-data door and is recorded in the audit log.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, connection::PageInfo};
use chrono::{DateTime, Utc};

use super::{
    catalogue::CatalogueItem,
    door::{WorkCaller, work_door},
    enums::{
        AuthorisationMethod, Department, HandlingMode, ServiceLevel, ServiceRequestAction,
        ServiceRequestEventKind, ServiceRequestStatus,
    },
};
use crate::{
    domain::RegionCode,
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
        resident::Resident,
    },
    policy::RecordScope,
    workflow::{
        self, OpenRequest, TakeAction, catalogue,
        lifecycle::Status,
        requests::{self as store, Authorisation, Event, Request, RequestFilter},
    },
};

const CURSOR_KIND: &str = "service_request";

/// A resident's need reported by their village against a catalogue item, moving between
/// village, township and county department ("township blows the whistle, departments
/// report", 街乡吹哨、部门报到).
pub struct ServiceRequest {
    pub(crate) request: Request,
    /// The caller is the resident the request is about.
    pub(crate) own: bool,
}

/// A resident's need reported by their village against a catalogue item, moving between
/// village, township and county department (街乡吹哨、部门报到). Personal data: every
/// read is recorded in the audit log.
#[Object]
impl ServiceRequest {
    /// The request's id.
    async fn id(&self) -> ID {
        ID(self.request.id.clone())
    }

    /// Where it stands.
    async fn status(&self) -> ServiceRequestStatus {
        self.request.status.into()
    }

    /// Increases with every change; pass it as `expectedVersion` to act on the request.
    async fn version(&self) -> i32 {
        self.request.version
    }

    /// Who acts next; null once it is closed.
    async fn awaiting(&self) -> Option<ServiceLevel> {
        self.request.status.next_actor().map(Into::into)
    }

    /// The catalogue item it was opened against (also when that item is retired since).
    async fn catalogue_item(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CatalogueItem>> {
        let db = &ctx.services()?.db;
        Ok(catalogue::find(db, &self.request.catalogue_code)
            .await
            .or_graphql()?
            .map(Into::into))
    }

    /// How the village handles it.
    async fn mode(&self) -> HandlingMode {
        self.request.mode.into()
    }

    /// The need, as the village described it.
    async fn description(&self) -> &str {
        &self.request.description
    }

    /// The villager's authorisation of a proxy-handled request.
    async fn authorisation(&self) -> Option<ProxyAuthorisation> {
        self.request
            .authorisation
            .as_ref()
            .map(ProxyAuthorisation::from)
    }

    /// The resident it is about, as the caller's role may see them (masked where the
    /// policy says so; null if outside the caller's scope).
    async fn resident(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resident>> {
        let request = ctx.request()?;
        let record = request
            .residents
            .load_one(self.request.resident_id.clone())
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(record.map(|r| Resident::seen(r, self.own)))
    }

    /// The 12-digit code of the resident's village when the request was opened.
    async fn village_code(&self) -> &str {
        &self.request.village_code
    }

    /// The county department it was routed to, once routed.
    async fn department(&self) -> Option<Department> {
        self.request.department.map(Into::into)
    }

    /// When the current step is due (the end of its last working day, China time).
    async fn step_due_at(&self) -> Option<DateTime<Utc>> {
        self.request.step_due
    }

    /// The current step passed its deadline and was escalated (超时督办).
    async fn overdue(&self) -> bool {
        self.request.overdue
    }

    /// How many times a step of it was escalated.
    async fn escalations(&self) -> i32 {
        self.request.escalations
    }

    /// The alert it was opened from, if any (an alert id, as `Alert.id` gives it).
    async fn alert_id(&self) -> Option<ID> {
        self.request.alert_id.clone().map(ID)
    }

    /// The visit it was opened from, if any.
    async fn visit_id(&self) -> Option<ID> {
        self.request.visit_id.clone().map(ID)
    }

    /// Who opened it (the token subject).
    async fn opened_by(&self) -> &str {
        &self.request.opened_by
    }

    /// When it was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.request.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.request.updated_at
    }

    /// Every event, oldest first: who did what, when, with which note.
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ServiceRequestEvent>> {
        let db = &ctx.services()?.db;
        Ok(store::timeline(db, &self.request.id)
            .await
            .or_graphql()?
            .into_iter()
            .map(ServiceRequestEvent::from)
            .collect())
    }
}

/// The villager's authorisation of a proxy-handled request (委托授权).
#[derive(SimpleObject)]
pub struct ProxyAuthorisation {
    /// Who authorised: the villager, or their guardian or relative.
    pub by: String,
    /// How they authorised it.
    pub method: AuthorisationMethod,
    /// When they authorised it.
    pub at: DateTime<Utc>,
}

impl From<&Authorisation> for ProxyAuthorisation {
    fn from(a: &Authorisation) -> Self {
        Self {
            by: a.by.clone(),
            method: a.method.into(),
            at: a.at,
        }
    }
}

/// One event of a request's timeline (办理记录).
#[derive(SimpleObject, Clone)]
pub struct ServiceRequestEvent {
    /// The request's version this event produced (1 for opening).
    pub sequence: i32,
    /// What happened.
    pub kind: ServiceRequestEventKind,
    /// The request's status after the event.
    pub status: ServiceRequestStatus,
    /// Who acted (a token subject; `cunhub` for an escalation).
    pub actor: String,
    /// The actor's role (`system` for an escalation).
    pub actor_role: String,
    /// The actor's note: what was done, or why.
    pub note: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The deadline of the step the event began, if it began one.
    pub due_at: Option<DateTime<Utc>>,
}

impl From<Event> for ServiceRequestEvent {
    fn from(e: Event) -> Self {
        Self {
            sequence: e.seq,
            kind: e.kind.into(),
            status: e.status.into(),
            actor: e.actor_subject,
            actor_role: e.actor_role,
            note: e.note,
            at: e.at,
            due_at: e.due,
        }
    }
}

crate::connection_types!(
    ServiceRequestConnection,
    ServiceRequestEdge,
    ServiceRequest,
    "service requests",
    "A page of service requests (a Relay connection).",
    "A service request in a page, with its cursor."
);

/// Which service requests a work list shows; all given conditions hold together.
#[derive(InputObject, Default)]
pub struct ServiceRequestFilter {
    /// A division code (2 to 12 digits) within your scope; default all of your scope.
    pub region: Option<String>,
    /// Only requests in these statuses.
    pub statuses: Option<Vec<ServiceRequestStatus>>,
    /// Only requests waiting for your level to act (your village's to confirm or
    /// resubmit, your township's to accept or route, your department's to respond).
    pub awaiting_me: Option<bool>,
    /// Only overdue (true) or only not overdue (false) requests.
    pub overdue: Option<bool>,
    /// Only requests changed at or after this time (for incremental sync).
    pub updated_since: Option<DateTime<Utc>>,
    /// Only requests against this catalogue item.
    pub catalogue_code: Option<String>,
    /// Only requests about this resident.
    pub resident_id: Option<ID>,
}

/// Reading service requests.
#[derive(Default)]
pub struct ServiceRequestQuery;

#[Object]
impl ServiceRequestQuery {
    /// One service request; null if there is none the caller may see.
    async fn service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's id.")] id: ID,
    ) -> async_graphql::Result<Option<ServiceRequest>> {
        let caller = work_door(ctx, "service_request.read").await?;
        let services = ctx.services()?;
        let found = store::find(&services.db, &id).await.or_graphql()?;
        Ok(found.and_then(|request| caller.admit(ctx, request)))
    }

    /// A work list: the service requests within the caller's scope (a village's, a
    /// township's, those routed to a department, a resident's own), newest last.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn service_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Which requests; default all within your scope.")]
        filter: ServiceRequestFilter,
        #[graphql(desc = "How many requests to return (default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the requests after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<ServiceRequestConnection> {
        let caller = work_door(ctx, "service_requests.list").await?;
        let services = ctx.services()?;
        let limit = page_size(first, &services.limits).or_graphql()?;
        let after = after
            .as_deref()
            .map(|c| decode_cursor(CURSOR_KIND, c))
            .transpose()
            .or_graphql()?;
        let Some(store_filter) = caller.filter(&filter)? else {
            return Ok(ServiceRequestConnection::empty());
        };
        let (requests, has_next) =
            store::page(&services.db, &store_filter, after.as_deref(), limit)
                .await
                .or_graphql()?;
        let own = caller.own_resident.is_some();
        let filter = Arc::new(store_filter);
        let page_info = PageInfo {
            has_previous_page: after.is_some(),
            has_next_page: has_next,
            start_cursor: requests.first().map(|r| encode_cursor(CURSOR_KIND, &r.id)),
            end_cursor: requests.last().map(|r| encode_cursor(CURSOR_KIND, &r.id)),
        };
        let request_ctx = ctx.request()?;
        Ok(ServiceRequestConnection {
            page_info,
            edges: requests
                .into_iter()
                .map(|request| {
                    request_ctx
                        .access
                        .record_read(&request.resident_id, "service_request");
                    ServiceRequestEdge {
                        cursor: encode_cursor(CURSOR_KIND, &request.id),
                        node: ServiceRequest { request, own },
                    }
                })
                .collect(),
            total: Box::new(move |ctx| {
                let filter = filter.clone();
                let db = ctx.services().map(|s| s.db.clone());
                Box::pin(async move { store::count(&db?, &filter).await.or_graphql() })
            }),
        })
    }
}

impl WorkCaller<'_> {
    /// The request, if the caller sees it; the read is recorded.
    pub(crate) fn admit(&self, ctx: &Context<'_>, request: Request) -> Option<ServiceRequest> {
        let services = ctx.services().ok()?;
        let access = &ctx.request().ok()?.access;
        if !services
            .workflow
            .sees(self.principal, &request, self.own_resident.as_deref())
        {
            access.missed(&request.id, crate::audit::Outcome::OutOfScope);
            return None;
        }
        access.record_read(&request.resident_id, "service_request");
        Some(ServiceRequest {
            own: self.own_resident.as_deref() == Some(request.resident_id.as_str()),
            request,
        })
    }

    /// The store filter of a work list within the caller's scope; `None` when the caller
    /// sees nothing of it.
    pub(super) fn filter(
        &self,
        asked: &ServiceRequestFilter,
    ) -> async_graphql::Result<Option<RequestFilter>> {
        let principal = self.principal;
        let region = match &asked.region {
            Some(code) => {
                let code = RegionCode::parse(code)
                    .map_err(AppError::from)
                    .or_graphql()?;
                match crate::graphql::resident::narrow(principal, &code) {
                    Some(narrowed) => narrowed.as_str().to_owned(),
                    None => return Ok(None),
                }
            }
            None => principal.region.as_str().to_owned(),
        };
        let mut filter = RequestFilter {
            region_prefix: region,
            statuses: asked
                .statuses
                .iter()
                .flatten()
                .map(|s| Status::from(*s))
                .collect(),
            overdue: asked.overdue,
            updated_since: asked.updated_since,
            catalogue_code: asked.catalogue_code.clone(),
            resident_id: asked.resident_id.as_ref().map(|id| id.to_string()),
            department: None,
        };
        match self.scope {
            RecordScope::None => return Ok(None),
            RecordScope::Own => {
                let Some(own) = &self.own_resident else {
                    return Ok(None);
                };
                if filter.resident_id.as_ref().is_some_and(|r| r != own) {
                    return Ok(None);
                }
                filter.resident_id = Some(own.clone());
                filter.region_prefix = String::new();
            }
            RecordScope::Region => {}
            RecordScope::RoutedToOwnDepartment => {
                let Some(department) = principal.department else {
                    return Ok(None);
                };
                filter.department = Some(department);
            }
        }
        if asked.awaiting_me == Some(true) {
            let mine = self.level();
            let waiting: Vec<Status> = Status::ALL
                .into_iter()
                .filter(|s| s.next_actor().is_some() && s.next_actor() == mine)
                .filter(|s| filter.statuses.is_empty() || filter.statuses.contains(s))
                .collect();
            if waiting.is_empty() {
                return Ok(None);
            }
            filter.statuses = waiting;
        }
        Ok(Some(filter))
    }
}

/// Opening a service request for a resident of the caller's village.
#[derive(InputObject)]
pub struct OpenServiceRequestInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// opening a second request (8 to 80 letters, digits, `-`, `_`, `:`).
    pub idempotency_key: String,
    /// The resident the need is about.
    pub resident_id: ID,
    /// The catalogue item, e.g. `JL-MZ-001`.
    pub catalogue_code: String,
    /// How the village will handle it (one the item offers).
    pub mode: HandlingMode,
    /// The need, in 1 to 2000 characters.
    pub description: String,
    /// Required when `mode` is PROXY: the villager's authorisation.
    pub authorisation: Option<AuthorisationInput>,
}

/// The villager's authorisation of a proxy-handled request.
#[derive(InputObject)]
pub struct AuthorisationInput {
    /// Who authorised: the villager, or their guardian or relative by name.
    pub by: String,
    /// How they authorised it.
    pub method: AuthorisationMethod,
    /// When it was given (not in the future).
    pub at: DateTime<Utc>,
}

/// Acting on a service request.
#[derive(InputObject)]
pub struct ActOnServiceRequestInput {
    /// Names this attempt: a retry with the same key returns the first result instead of
    /// acting twice.
    pub idempotency_key: String,
    /// The request to act on.
    pub request_id: ID,
    /// The version the caller decided on; if the request changed since, the answer is
    /// CONFLICT and nothing changes.
    pub expected_version: i32,
    /// What to do.
    pub action: ServiceRequestAction,
    /// What was done or why; required for RETURN, RETURN_TO_TOWNSHIP and REJECT.
    #[graphql(default)]
    pub note: String,
    /// For ROUTE: the county department to route to.
    pub department: Option<Department>,
}

/// What a service-request mutation produced.
#[derive(SimpleObject)]
pub struct ServiceRequestPayload {
    /// The request as it now stands.
    pub request: ServiceRequest,
    /// This answer repeats an earlier attempt under the same idempotency key: nothing
    /// was done twice.
    pub replayed: bool,
}

/// Changing service requests.
#[derive(Default)]
pub struct ServiceRequestMutation;

#[Object]
impl ServiceRequestMutation {
    /// Opens a service request (上报) for a resident of the caller's village; it waits for
    /// the township to accept it.
    async fn open_service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request to open.")] input: OpenServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let caller = work_door(ctx, "service_request.open").await?;
        let services = ctx.services()?;
        let open = OpenRequest {
            resident_id: input.resident_id.to_string(),
            catalogue_code: input.catalogue_code.trim().to_owned(),
            mode: input.mode.into(),
            description: input.description,
            authorisation: input.authorisation.map(|a| Authorisation {
                by: a.by.trim().to_owned(),
                method: a.method.into(),
                at: a.at,
            }),
            alert_id: None,
            visit_id: None,
        };
        let done = services
            .workflow
            .open(caller.principal, open, &input.idempotency_key)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        caller.payload(ctx, "service_request.open", done)
    }

    /// Moves a service request along: accept, resolve, route, respond, return, resubmit,
    /// reject or confirm, if it is the caller's turn, role and region.
    async fn act_on_service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action, on which version of which request.")]
        input: ActOnServiceRequestInput,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let caller = work_door(ctx, "service_request.act").await?;
        let services = ctx.services()?;
        let action = TakeAction {
            request_id: input.request_id.to_string(),
            expected_version: input.expected_version,
            action: input.action.into(),
            note: input.note,
            department: input.department.map(Into::into),
        };
        let done = services
            .workflow
            .act(caller.principal, action, &input.idempotency_key)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        caller.payload(ctx, "service_request.act", done)
    }
}

impl WorkCaller<'_> {
    /// The payload of a request mutation, with the change and the read audited.
    pub(crate) fn payload(
        &self,
        ctx: &Context<'_>,
        action: &'static str,
        done: workflow::Done<Request>,
    ) -> async_graphql::Result<ServiceRequestPayload> {
        let access = &ctx.request()?.access;
        if !done.replayed {
            access.acted(action, &done.value.id);
        }
        access.record_read(&done.value.resident_id, "service_request");
        Ok(ServiceRequestPayload {
            request: ServiceRequest {
                own: false,
                request: done.value,
            },
            replayed: done.replayed,
        })
    }
}
