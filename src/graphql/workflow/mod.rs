//! Village services in the schema: the catalogue, service requests and their work lists,
//! visits.

mod catalogue;
mod enums;
mod live;
mod requests;
mod visits;

pub use catalogue::{CatalogueItem, CatalogueQuery};
pub use enums::*;
pub use live::{ServiceRequestChange, ServiceRequestChangeFilter, ServiceRequestSubscription};
pub use requests::{
    AuthorisationInput, ServiceRequest, ServiceRequestEvent, ServiceRequestMutation,
    ServiceRequestQuery,
};
pub use visits::{Visit, VisitMutation, VisitQuery, VisitRequestInput};

use async_graphql::{Context, Object};

use crate::{
    error::{AppError, ResultExt},
    graphql::doors,
};
use catalogue::{AddCatalogueItemInput, CatalogueItemPayload, RetireCatalogueItemInput};

/// Changing the catalogue (admins, within their region).
#[derive(Default)]
pub struct CatalogueMutation;

#[Object]
impl CatalogueMutation {
    /// Adds an item to the catalogue, issued by the province, a prefecture or a county.
    async fn add_catalogue_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new item.")] input: AddCatalogueItemInput,
    ) -> async_graphql::Result<CatalogueItemPayload> {
        let principal = doors::signed_in(ctx, "catalogue.add")?;
        let workflow = &crate::graphql::context::ContextExt::services(ctx)?.workflow;
        let done = workflow
            .add_item(principal, input.to_new_item(), &input.idempotency_key)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        record(ctx, "catalogue.add", &done.value.code, done.replayed)?;
        Ok(CatalogueItemPayload {
            item: done.value.into(),
            replayed: done.replayed,
        })
    }

    /// Retires an item: it stays readable on the requests that name it, but takes no new
    /// ones.
    async fn retire_catalogue_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item to retire.")] input: RetireCatalogueItemInput,
    ) -> async_graphql::Result<CatalogueItemPayload> {
        let principal = doors::signed_in(ctx, "catalogue.retire")?;
        let workflow = &crate::graphql::context::ContextExt::services(ctx)?.workflow;
        let done = workflow
            .retire_item(principal, input.code.trim(), &input.idempotency_key)
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        record(ctx, "catalogue.retire", &done.value.code, done.replayed)?;
        Ok(CatalogueItemPayload {
            item: done.value.into(),
            replayed: done.replayed,
        })
    }
}

fn record(
    ctx: &Context<'_>,
    action: &'static str,
    target: &str,
    replayed: bool,
) -> async_graphql::Result<()> {
    if !replayed {
        crate::graphql::context::ContextExt::request(ctx)?
            .access
            .acted(action, target);
    }
    Ok(())
}
