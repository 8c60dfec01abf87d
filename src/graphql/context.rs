//! What a resolver can know about the request and reach of the hub.

use std::sync::Arc;

use async_graphql::{Context, dataloader::DataLoader};
use sea_orm::DatabaseConnection;

use crate::{auth::Principal, config::QueryLimits, graphql::region::RegionLoader};

/// Services shared by every request (schema data).
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub limits: Arc<QueryLimits>,
}

/// Per-request data: the caller and the request's own loaders, so nothing cached in a
/// loader outlives the request or crosses from one caller to another.
pub struct RequestContext {
    pub principal: Option<Principal>,
    pub request_id: String,
    pub regions: DataLoader<RegionLoader>,
}

impl RequestContext {
    pub fn new(principal: Option<Principal>, request_id: String, services: &Services) -> Self {
        Self {
            principal,
            request_id,
            regions: RegionLoader::data_loader(services.db.clone()),
        }
    }
}

/// Typed access to the context, without `unwrap` on missing data.
pub trait ContextExt {
    fn services(&self) -> async_graphql::Result<&Services>;
    fn request(&self) -> async_graphql::Result<&RequestContext>;
}

impl ContextExt for Context<'_> {
    fn services(&self) -> async_graphql::Result<&Services> {
        self.data::<Services>()
    }

    fn request(&self) -> async_graphql::Result<&RequestContext> {
        self.data::<RequestContext>()
    }
}
