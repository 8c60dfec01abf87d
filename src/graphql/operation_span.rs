//! One span per GraphQL operation (not per field, which would cost more than the
//! request): its type and name, never its variables, and how many errors it returned.
//! Department calls, the audit write and the loaders' work are its children.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Response, ServerResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
    },
    parser::types::{ExecutableDocument, OperationType},
};
use tracing::Instrument;

use crate::telemetry;

/// The extension factory installed on the schema.
pub struct OperationSpan;

impl ExtensionFactory for OperationSpan {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationSpanExtension::default())
    }
}

#[derive(Default)]
struct OperationSpanExtension {
    /// The operations of the parsed document: name and type.
    operations: Mutex<Vec<(Option<String>, OperationType)>>,
}

// An operation name is the client's to choose: kept short.
const MAX_NAME: usize = 100;

#[async_graphql::async_trait::async_trait]
impl Extension for OperationSpanExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let span = tracing::debug_span!(
            "graphql.operation",
            otel.name = "graphql",
            graphql.operation.type = tracing::field::Empty,
            graphql.operation.name = tracing::field::Empty,
            graphql.errors = tracing::field::Empty,
        );
        let response = next.run(ctx).instrument(span.clone()).await;
        if !response.errors.is_empty() {
            span.record("graphql.errors", response.errors.len());
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut operations) = self.operations.lock() {
            *operations = document
                .operations
                .iter()
                .map(|(name, op)| (name.map(|n| n.to_string()), op.node.ty))
                .collect();
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let chosen = self.operations.lock().ok().and_then(|operations| {
            operations
                .iter()
                .find(|(name, _)| operation_name.is_none() || name.as_deref() == operation_name)
                .cloned()
        });
        if let Some((name, ty)) = chosen {
            let span = tracing::Span::current();
            let ty = match ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            };
            span.record("graphql.operation.type", ty);
            match name.or(operation_name.map(str::to_owned)) {
                Some(name) => {
                    let name: String = name.chars().take(MAX_NAME).collect();
                    telemetry::context::rename(&span, format!("{ty} {name}"));
                    span.record("graphql.operation.name", name.as_str());
                }
                None => {
                    telemetry::context::rename(&span, ty.to_owned());
                }
            }
        }
        next.run(ctx, operation_name).await
    }
}
