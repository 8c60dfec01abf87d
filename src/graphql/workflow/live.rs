//! Live updates of service requests: a subscription pushes every committed change of a
//! request its subscriber may see, exactly as the `serviceRequests` work list would show
//! it. A pushed change is personal data: each one is recorded in the audit log before it
//! is sent (see `audit_flush`).

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, Subscription};
use futures_util::{Stream, StreamExt, future};

use super::{
    enums::ServiceRequestStatus,
    requests::{ServiceRequest, ServiceRequestEvent, ServiceRequestFilter, work_record},
};
use crate::{
    graphql::{context::ContextExt, doors},
    workflow::RequestChange,
};

/// One change of a service request, as it was committed: the request as it now stands
/// and the event of its timeline that changed it. Personal data: every pushed change is
/// recorded in the audit log.
pub struct ServiceRequestChange {
    change: Arc<RequestChange>,
    /// The subscriber is the resident the request is about.
    own: bool,
}

impl ServiceRequestChange {
    /// A pushed change is read like a request of the work list.
    fn read(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.request()?
            .access
            .record_read(&self.change.request.resident_id, "service_request");
        Ok(())
    }
}

/// One change of a service request, as it was committed: the request as it now stands
/// and the event of its timeline that changed it. Personal data: every pushed change is
/// recorded in the audit log.
#[Object]
impl ServiceRequestChange {
    /// The request as it stands after the change.
    async fn request(&self, ctx: &Context<'_>) -> async_graphql::Result<ServiceRequest> {
        self.read(ctx)?;
        Ok(ServiceRequest {
            request: self.change.request.clone(),
            own: self.own,
        })
    }

    /// The event that changed it (opened, accepted, routed, escalated, …).
    async fn event(&self, ctx: &Context<'_>) -> async_graphql::Result<ServiceRequestEvent> {
        self.read(ctx)?;
        Ok(self.change.event.clone().into())
    }
}

/// Which changes a subscription pushes; all given conditions hold together, on the
/// request as it stands after the change.
#[derive(InputObject, Default)]
pub struct ServiceRequestChangeFilter {
    /// A division code (2 to 12 digits) within your scope; default all of your scope.
    pub region: Option<String>,
    /// Only changes after which the request waits for your level to act.
    pub awaiting_me: Option<bool>,
    /// Only changes that leave the request in one of these statuses.
    pub statuses: Option<Vec<ServiceRequestStatus>>,
}

/// Live updates of service requests.
#[derive(Default)]
pub struct ServiceRequestSubscription;

#[Subscription]
impl ServiceRequestSubscription {
    /// Every change of a service request within the caller's scope (the requests the
    /// `serviceRequests` work list shows them), from now on, as it is committed: opened,
    /// each transition, each escalation of an overdue step. Needs a declared purpose
    /// (`purpose` in `connection_init`), except a resident following their own requests.
    /// A subscriber that falls far behind skips changes: reload the work list with
    /// `updatedSince` after a reconnect.
    async fn service_request_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which changes; default every change within your scope."
        )]
        filter: ServiceRequestChangeFilter,
    ) -> async_graphql::Result<impl Stream<Item = ServiceRequestChange> + use<>> {
        let caller = doors::work(ctx, "service_requests.subscribe").await?;
        let workflow = ctx.services()?.workflow.clone();
        // Listen before deciding the selection, so that nothing committed meanwhile is
        // lost to the subscriber.
        let changes = workflow.events.changes();
        let selection = caller.filter(&ServiceRequestFilter {
            region: filter.region,
            statuses: filter.statuses,
            awaiting_me: filter.awaiting_me,
            ..ServiceRequestFilter::default()
        })?;
        let bounds = caller.bounds();
        let own_resident = caller.own_resident.clone();
        Ok(changes.filter_map(move |change| {
            let request = &change.request;
            let pushed = selection.as_ref().is_some_and(|s| s.matches(request))
                && bounds
                    .as_ref()
                    .is_some_and(|b| b.admits(&work_record(request)));
            let own = own_resident.as_deref() == Some(request.resident_id.as_str());
            future::ready(pushed.then_some(ServiceRequestChange { change, own }))
        }))
    }
}
