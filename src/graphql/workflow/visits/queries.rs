//! Reading visits: one by id, and lists, each within what the caller sees; every visit
//! read is recorded.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, connection::PageInfo};

use super::{
    inputs::VisitFilter,
    types::{Visit, VisitConnection, VisitEdge},
};
use crate::{
    error::{AppError, ResultExt},
    graphql::{
        context::ContextExt,
        doors::{self, WorkCaller},
        node::{self, NodeType},
        pagination::{connection_complexity, decode_cursor, encode_cursor, page_size},
    },
    policy::WorkRecord,
    workflow::{
        requests,
        visits::{self as store, VisitCursor},
    },
};

const CURSOR_KIND: &str = "visit";

/// Reading visits.
#[derive(Default)]
pub struct VisitQuery;

#[Object]
impl VisitQuery {
    /// One visit; null if there is none the caller may see.
    pub(crate) async fn visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The visit's id (`Visit.id`).")] id: ID,
    ) -> async_graphql::Result<Option<Visit>> {
        let caller = doors::work(ctx, "visit.read").await?;
        let id = node::key_of(NodeType::Visit, &id);
        let services = ctx.services()?;
        let Some(visit) = store::find(&services.db, &id).await.or_graphql()? else {
            return Ok(None);
        };
        if !caller.sees_visit(ctx, &visit).await? {
            ctx.request()?.access.missed(
                &format!("visit:{}", visit.id),
                crate::audit::Outcome::OutOfScope,
            );
            return Ok(None);
        }
        Ok(Some(caller.visit(ctx, visit)?))
    }

    /// Visits within the caller's scope (a village's or township's, those that opened a
    /// request routed to a department, a resident's own), the most recent first.
    #[graphql(complexity = "connection_complexity(first, child_complexity)")]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which visits; default all within your scope.")] filter: Option<
            VisitFilter,
        >,
        #[graphql(desc = "How many visits to return (default 20).")] first: Option<i32>,
        #[graphql(desc = "Return the visits after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<VisitConnection> {
        let caller = doors::work(ctx, "visits.list").await?;
        let services = ctx.services()?;
        let limit = page_size(first, &services.limits).or_graphql()?;
        let after = match after.as_deref() {
            Some(cursor) => {
                let key = decode_cursor(CURSOR_KIND, cursor).or_graphql()?;
                Some(
                    VisitCursor::parse(&key)
                        .ok_or(AppError::InvalidCursor)
                        .or_graphql()?,
                )
            }
            None => None,
        };
        let Some(store_filter) = caller.visit_filter(&filter.unwrap_or_default())? else {
            return Ok(VisitConnection::empty());
        };
        let (visits, has_next) = store::page(&services.db, &store_filter, after.as_ref(), limit)
            .await
            .or_graphql()?;
        let cursor = |v: &store::Visit| encode_cursor(CURSOR_KIND, &VisitCursor::of(v).key());
        let page_info = PageInfo {
            has_previous_page: after.is_some(),
            has_next_page: has_next,
            start_cursor: visits.first().map(cursor),
            end_cursor: visits.last().map(cursor),
        };
        let edges = visits
            .into_iter()
            .map(|visit| {
                Ok(VisitEdge {
                    cursor: cursor(&visit),
                    node: caller.visit(ctx, visit)?,
                })
            })
            .collect::<async_graphql::Result<Vec<_>>>()?;
        let filter = Arc::new(store_filter);
        Ok(VisitConnection {
            page_info,
            edges,
            total: Box::new(move |ctx| {
                let filter = filter.clone();
                let db = ctx.services().map(|s| s.db.clone());
                Box::pin(async move { store::count(&db?, &filter).await.or_graphql() })
            }),
        })
    }
}

impl WorkCaller<'_> {
    /// A visit the caller may see, its read recorded.
    pub(super) fn visit(
        &self,
        ctx: &Context<'_>,
        visit: store::Visit,
    ) -> async_graphql::Result<Visit> {
        ctx.request()?
            .access
            .record_read(&visit.resident_id, "visit");
        Ok(Visit {
            own: self.own_resident.as_deref() == Some(visit.resident_id.as_str()),
            visit,
        })
    }

    /// Whether the caller's `[work]` row lets them see `visit`.
    async fn sees_visit(
        &self,
        ctx: &Context<'_>,
        visit: &store::Visit,
    ) -> async_graphql::Result<bool> {
        // A visit goes where the request it opened was routed; only a department's
        // bounds ask, so only then is the request looked up.
        let asks_department = self.bounds().is_some_and(|b| b.department.is_some());
        let department = match &visit.request_id {
            Some(request_id) if asks_department => requests::find(&ctx.services()?.db, request_id)
                .await
                .or_graphql()?
                .and_then(|r| r.department),
            _ => None,
        };
        Ok(self.sees(&WorkRecord {
            village_code: &visit.village_code,
            resident_id: &visit.resident_id,
            department,
        }))
    }

    /// The store filter of a visit list within the caller's scope; `None` when the caller
    /// sees nothing of it.
    fn visit_filter(
        &self,
        asked: &VisitFilter,
    ) -> async_graphql::Result<Option<store::VisitFilter>> {
        let bounds = self.listing_bounds(
            asked.region.as_deref(),
            asked
                .resident_id
                .as_ref()
                .map(|id| node::key_of(NodeType::Resident, id)),
        )?;
        Ok(bounds.map(|bounds| store::VisitFilter {
            region_prefix: bounds.region_prefix,
            resident_id: bounds.resident_id,
            key_group: asked.key_group.map(Into::into),
            visited_since: asked.visited_since.map(|day| day.0),
            routed_to: bounds.department,
        }))
    }
}
