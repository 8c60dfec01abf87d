//! Reading service requests: one by id, and the work lists, each within what the caller
//! sees; every request read is recorded.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, connection::PageInfo};

use super::{
    inputs::ServiceRequestFilter,
    types::{ServiceRequest, ServiceRequestConnection, ServiceRequestEdge, work_record},
};
use crate::{
    error::ResultExt,
    graphql::{
        context::ContextExt,
        doors::{self, WorkCaller},
        node::{self, NodeType},
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
    },
    workflow::{
        lifecycle::Status,
        requests::{self as store, Request, RequestFilter},
    },
};

const CURSOR_KIND: &str = "service_request";

/// Reading service requests.
#[derive(Default)]
pub struct ServiceRequestQuery;

#[Object]
impl ServiceRequestQuery {
    /// One service request; null if there is none the caller may see.
    pub(crate) async fn service_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's id (`ServiceRequest.id`).")] id: ID,
    ) -> async_graphql::Result<Option<ServiceRequest>> {
        let caller = doors::work(ctx, "service_request.read").await?;
        let id = node::key_of(NodeType::ServiceRequest, &id);
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
        let caller = doors::work(ctx, "service_requests.list").await?;
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
        let access = &ctx.request().ok()?.access;
        if !self.sees(&work_record(&request)) {
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
    pub(crate) fn filter(
        &self,
        asked: &ServiceRequestFilter,
    ) -> async_graphql::Result<Option<RequestFilter>> {
        let Some(bounds) = self.listing_bounds(
            asked.region.as_deref(),
            asked
                .resident_id
                .as_ref()
                .map(|id| node::key_of(NodeType::Resident, id)),
        )?
        else {
            return Ok(None);
        };
        let mut filter = RequestFilter {
            region_prefix: bounds.region_prefix,
            statuses: asked
                .statuses
                .iter()
                .flatten()
                .map(|s| Status::from(*s))
                .collect(),
            overdue: asked.overdue,
            updated_since: asked.updated_since,
            catalogue_code: asked.catalogue_code.clone(),
            resident_id: bounds.resident_id,
            department: bounds.department,
        };
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
