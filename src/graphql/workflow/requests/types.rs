//! The service request as the schema shows it: the request, its proxy authorisation, its
//! timeline, and the page of a work list.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        resident::Resident,
        workflow::{
            catalogue::CatalogueItem,
            enums::{
                AuthorisationMethod, Department, HandlingMode, SatisfactionLevel, ServiceLevel,
                ServiceRequestEventKind, ServiceRequestStatus,
            },
        },
    },
    policy::WorkRecord,
    workflow::{
        catalogue,
        ratings::{self, Rating},
        requests::{self as store, Authorisation, Event, Request},
    },
};

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
    /// The request's id; also its node id (`node(id:)` and `serviceRequest(id:)` both
    /// take it).
    pub(crate) async fn id(&self) -> ID {
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

    /// The villager's rating once the request is resolved (好差评); null until it is
    /// rated. Personal data of the rater, read by whoever sees the request; each read is
    /// recorded in the audit log.
    async fn rating(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ServiceRequestRating>> {
        let db = &ctx.services()?.db;
        let rating = ratings::find(db, &self.request.id).await.or_graphql()?;
        if rating.is_some() {
            ctx.request()?
                .access
                .record_read(&self.request.resident_id, "service_request_rating");
        }
        Ok(rating.map(ServiceRequestRating::from))
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

/// A villager's rating of a resolved service request (好差评).
#[derive(SimpleObject, Clone)]
pub struct ServiceRequestRating {
    /// How satisfied the villager is.
    pub level: SatisfactionLevel,
    /// What the villager said, if anything.
    pub comment: Option<String>,
    /// Who gave it (a token subject): the resident, or the assistant on their behalf.
    pub rated_by: String,
    /// The role of whoever gave it (`resident`, `village_assistant`).
    pub rater_role: String,
    /// Given by an assistant on the resident's behalf (代为评价), not by the resident's
    /// own token.
    pub on_behalf: bool,
    /// When it was given.
    pub rated_at: DateTime<Utc>,
}

impl From<Rating> for ServiceRequestRating {
    fn from(r: Rating) -> Self {
        Self {
            level: r.level.into(),
            comment: r.comment,
            rated_by: r.rated_by,
            rater_role: r.rater_role,
            on_behalf: r.on_behalf,
            rated_at: r.rated_at,
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

/// A request as the policy's rule of who sees it takes it.
pub(crate) fn work_record(request: &Request) -> WorkRecord<'_> {
    WorkRecord {
        village_code: &request.village_code,
        resident_id: &request.resident_id,
        department: request.department,
    }
}
