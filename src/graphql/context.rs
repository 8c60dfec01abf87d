//! What a resolver can know about the request and reach of the hub.

use std::sync::Arc;

use async_graphql::{Context, dataloader::DataLoader};

use crate::{
    adapters::Departments,
    audit::AuditLog,
    graphql::{
        QueryLimits,
        region::RegionLoader,
        resident::{ResidentLoader, departments::DepartmentLoaders},
    },
    policy::{AccessLog, Caller, Policy},
    store::{Database, id_vault::IdVault, local::LocalReads, thread_pools::ThreadPools},
};

/// Services shared by every request (schema data).
#[derive(Clone)]
pub struct Services {
    pub db: Database,
    /// The lookups on every request's path, read on the calling thread where they can be.
    pub local_reads: Arc<LocalReads>,
    /// On a database server, the same lookups on a pool of the calling thread's own.
    pub thread_pools: Arc<ThreadPools>,
    pub limits: Arc<QueryLimits>,
    pub audit: AuditLog,
    pub vault: Arc<IdVault>,
    pub departments: Arc<Departments>,
    /// The access matrix in force.
    pub policy: Arc<Policy>,
    /// The deadline of one request's department calls.
    pub request_deadline: std::time::Duration,
    /// Age from which a resident's live alerts expect the old-age allowance.
    pub elderly_age: u32,
    /// Village services: catalogue, service requests, visits, alert follow-up.
    pub workflow: crate::workflow::Workflow,
    /// The statistics snapshot in force.
    pub statistics: crate::statistics::Published,
}

/// Per-request data: the caller, what it read, and the request's own loaders, so nothing
/// cached in a loader outlives the request or crosses from one caller to another.
pub struct RequestContext {
    pub caller: Caller,
    /// Shared with whoever writes it to the audit log once the response is ready.
    pub access: Arc<AccessLog>,
    pub regions: DataLoader<RegionLoader>,
    pub residents: DataLoader<ResidentLoader>,
    pub departments: DepartmentLoaders,
}

impl RequestContext {
    pub fn new(caller: Caller, services: &Services) -> Self {
        let departments = DepartmentLoaders::new(
            services.departments.clone(),
            services.request_deadline,
            &caller.request_id,
        );
        Self {
            departments,
            caller,
            access: Arc::default(),
            regions: RegionLoader::data_loader(services.db.clone()),
            residents: ResidentLoader::data_loader(services.db.clone()),
        }
    }
}

/// Marks an operation over a socket: each of its executions (a query's one, every event a
/// subscription pushes) runs with a [`RequestContext`] of its own, so that what one event
/// read is audited before that event leaves, and no loader cache or department deadline
/// lasts as long as the subscription.
pub struct LiveOperation {
    pub caller: Caller,
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
