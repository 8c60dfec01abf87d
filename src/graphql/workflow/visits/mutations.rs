//! Recording a visit, with the service request it opens if asked; the change and the
//! reads are audited.

use async_graphql::{Context, Object, SimpleObject};

use super::{
    inputs::{RecordVisitInput, VisitRequestInput},
    types::Visit,
};
use crate::{
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        doors::{self, WorkCaller},
        node::{self, NodeType},
        workflow::requests::ServiceRequest,
    },
    workflow::{
        self,
        record_visit::{RecordVisit, Recorded},
    },
};

/// What recording a visit produced.
#[derive(SimpleObject)]
pub struct RecordVisitPayload {
    /// The visit as recorded.
    pub visit: Visit,
    /// The service request opened from it, if one was asked for.
    pub request: Option<ServiceRequest>,
    /// This answer repeats an earlier attempt (the same idempotency key, or the same
    /// visit sent again): nothing was recorded twice.
    pub replayed: bool,
}

/// Recording visits.
#[derive(Default)]
pub struct VisitMutation;

#[Object]
impl VisitMutation {
    /// Records a visit (走访) to a resident of the caller's village, and opens a service
    /// request from it if asked: both are recorded, or neither.
    async fn record_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The visit.")] input: RecordVisitInput,
    ) -> async_graphql::Result<RecordVisitPayload> {
        let caller = doors::work(ctx, "visit.record").await?;
        let services = ctx.services()?;
        let visit = RecordVisit {
            id: input.id.to_string(),
            resident_id: node::key_of(NodeType::Resident, &input.resident_id),
            key_group: input.key_group.into(),
            visited_on: input.visited_on.into(),
            findings: input.findings,
            open_request: input.open_request.map(VisitRequestInput::into_request),
        };
        let done = services
            .workflow
            .record_visit(caller.principal, visit, &input.idempotency_key)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        caller.visit_payload(ctx, done)
    }
}

impl WorkCaller<'_> {
    fn visit_payload(
        &self,
        ctx: &Context<'_>,
        done: workflow::Done<Recorded>,
    ) -> async_graphql::Result<RecordVisitPayload> {
        let access = &ctx.request()?.access;
        let Recorded { visit, request } = done.value;
        if !done.replayed {
            access.acted("visit.record", &visit.id);
            if let Some(request) = &request {
                access.acted("service_request.open", &request.id);
            }
        }
        if let Some(request) = &request {
            access.record_read(&request.resident_id, "service_request");
        }
        Ok(RecordVisitPayload {
            visit: self.visit(ctx, visit)?,
            request: request.map(|request| ServiceRequest {
                own: false,
                request,
            }),
            replayed: done.replayed,
        })
    }
}
