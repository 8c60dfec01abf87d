//! One span per GraphQL operation (not per field, which would cost more than the
//! request): its type and name, never its variables, and how many errors it returned.
//! Department calls, the audit write and the loaders' work are its children.

use std::sync::Mutex;

use async_graphql::{
    Response,
    parser::types::{ExecutableDocument, OperationType},
};

use crate::telemetry;

/// The operations of a parsed document, kept to name the span once the one to run is
/// chosen.
#[derive(Default)]
pub struct OperationSpan {
    /// The operations of the parsed document: name and type.
    operations: Mutex<Vec<(Option<String>, OperationType)>>,
}

// An operation name is the client's to choose: kept short.
const MAX_NAME: usize = 100;

impl OperationSpan {
    /// The span a request runs in; its type and name are filled in at execution.
    pub fn open() -> tracing::Span {
        tracing::debug_span!(
            "graphql.operation",
            otel.name = "graphql",
            graphql.operation.type = tracing::field::Empty,
            graphql.operation.name = tracing::field::Empty,
            graphql.errors = tracing::field::Empty,
        )
    }

    /// Records how many errors the request returned.
    pub fn close(span: &tracing::Span, response: &Response) {
        if !response.errors.is_empty() {
            span.record("graphql.errors", response.errors.len());
        }
    }

    /// Keeps the parsed document's operations.
    pub fn parsed(&self, document: &ExecutableDocument) {
        if let Ok(mut operations) = self.operations.lock() {
            *operations = document
                .operations
                .iter()
                .map(|(name, op)| (name.map(|n| n.to_string()), op.node.ty))
                .collect();
        }
    }

    /// Names the current span after the operation about to run.
    pub fn executing(&self, operation_name: Option<&str>) {
        let chosen = self.operations.lock().ok().and_then(|operations| {
            operations
                .iter()
                .find(|(name, _)| operation_name.is_none() || name.as_deref() == operation_name)
                .cloned()
        });
        let Some((name, ty)) = chosen else {
            return;
        };
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
}
