//! Assembles the schema from its domains and prints it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, SchemaBuilder};

use super::{
    QueryLimits, Services,
    alerts::{AlertFollowUpMutation, AlertQuery},
    audit_log::AuditLogQuery,
    health::HealthQuery,
    hooks::RequestHooks,
    node::NodeQuery,
    region::RegionQuery,
    resident::ResidentQuery,
    statistics::StatisticsQuery,
    workflow::{
        CatalogueMutation, CatalogueQuery, ServiceRequestMutation, ServiceRequestQuery,
        ServiceRequestSubscription, VisitMutation, VisitQuery,
    },
};

/// The root of every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    RegionQuery,
    ResidentQuery,
    HealthQuery,
    AuditLogQuery,
    AlertQuery,
    CatalogueQuery,
    ServiceRequestQuery,
    VisitQuery,
    NodeQuery,
    StatisticsQuery,
);

/// The root of every mutation. Each takes an idempotency key.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    ServiceRequestMutation,
    CatalogueMutation,
    VisitMutation,
    AlertFollowUpMutation,
);

/// The root of every subscription (over WebSocket, graphql-transport-ws).
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(ServiceRequestSubscription);

pub type CunhubSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder(limits: Arc<QueryLimits>) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(RequestHooks::new(limits))
    .override_output_type_description::<DateTime<Utc>>(DATE_TIME)
}

/// What the date-time scalar means to the API's users (the library's own text names the
/// type it is implemented with).
const DATE_TIME: &str = "An instant in time with its offset from UTC, as RFC 3339 writes it: \
`2026-11-28T08:30:00Z` or `2026-11-28T16:30:00+08:00`. The hub answers in UTC.";

/// The executable schema with the hub's services. Without `suggestions`, a validation
/// error names the unknown field but no similar one ("Did you mean …"), so an anonymous
/// caller cannot map the schema by guessing.
pub fn build_schema(services: Services, suggestions: bool) -> CunhubSchema {
    let builder = builder(services.limits.clone()).data(services);
    if suggestions {
        builder.finish()
    } else {
        builder.disable_suggestions().finish()
    }
}

/// The schema in SDL, as `schema.graphql` holds it. Fields, arguments and enum values
/// are sorted by name, so that moving a resolver between modules never reorders the file.
pub fn sdl() -> String {
    let options = SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items()
        .include_specified_by();
    builder(Arc::new(QueryLimits::default()))
        .finish()
        .sdl_with_options(options)
}
