//! Opening a service request and moving one along; each change and each read is audited.

use async_graphql::{Context, Object, SimpleObject};

use super::{
    inputs::{ActOnServiceRequestInput, OpenServiceRequestInput, RateServiceRequestInput},
    types::{ServiceRequest, ServiceRequestRating},
};
use crate::{
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        doors::{self, WorkCaller},
        node::{self, NodeType},
    },
    workflow::{
        self, OpenRequest, RateRequest, TakeAction,
        requests::{Authorisation, Request},
    },
};

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
        let caller = doors::work(ctx, "service_request.open").await?;
        let services = ctx.services()?;
        let open = OpenRequest {
            resident_id: node::key_of(NodeType::Resident, &input.resident_id),
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
        let caller = doors::work(ctx, "service_request.act").await?;
        let services = ctx.services()?;
        let action = TakeAction {
            request_id: node::key_of(NodeType::ServiceRequest, &input.request_id),
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

    /// Rates a resolved service request (好差评), once: the resident with their own
    /// token, or an assistant of their village on their behalf. A dissatisfied rating
    /// reopens it for the township (FOLLOW_UP).
    async fn rate_service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rating, of which request.")] input: RateServiceRequestInput,
    ) -> async_graphql::Result<RateServiceRequestPayload> {
        let caller = doors::work(ctx, "service_request.rate").await?;
        let services = ctx.services()?;
        let rate = RateRequest {
            request_id: node::key_of(NodeType::ServiceRequest, &input.request_id),
            level: input.level.into(),
            comment: input.comment,
        };
        let done = services
            .workflow
            .rate(
                caller.principal,
                caller.own_resident.as_deref(),
                rate,
                &input.idempotency_key,
            )
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        let access = &ctx.request()?.access;
        let resident = done.value.request.resident_id.clone();
        if !done.replayed {
            access.acted("service_request.rate", &done.value.request.id);
        }
        access.record_read(&resident, "service_request");
        access.record_read(&resident, "service_request_rating");
        Ok(RateServiceRequestPayload {
            rating: done.value.rating.into(),
            request: ServiceRequest {
                own: caller.own_resident.as_deref() == Some(resident.as_str()),
                request: done.value.request,
            },
            replayed: done.replayed,
        })
    }
}

/// What rating a service request produced.
#[derive(SimpleObject)]
pub struct RateServiceRequestPayload {
    /// The rating as given.
    pub rating: ServiceRequestRating,
    /// The request as it now stands: FOLLOW_UP after a dissatisfied rating, else RESOLVED.
    pub request: ServiceRequest,
    /// This answer repeats an earlier attempt under the same idempotency key: nothing
    /// was done twice.
    pub replayed: bool,
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
