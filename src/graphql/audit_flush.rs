//! Writes what a request read to the audit log before its response leaves. If the log
//! cannot be written, the response carries no data at all: `AUDIT_UNAVAILABLE`.

use std::sync::Arc;

use async_graphql::{
    Response, ServerError, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute},
};

use super::{RequestContext, Services};
use crate::error::{ErrorCode, request_error};

pub struct AuditFlush;

impl ExtensionFactory for AuditFlush {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditFlushExtension)
    }
}

struct AuditFlushExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for AuditFlushExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let (Some(request), Some(services)) =
            (ctx.data_opt::<RequestContext>(), ctx.data_opt::<Services>())
        else {
            return response;
        };
        let withheld = request.access.withheld_groups();
        let events = request.access.drain(&request.caller.actor());
        if !events.is_empty() && services.audit.record(events).await.is_err() {
            let error: ServerError = request_error(
                ErrorCode::AuditUnavailable,
                "the access could not be recorded, so no personal data is returned; try again",
            );
            return Response::from_errors(vec![error]);
        }
        let departments = request.departments.outcomes.summary();
        if !departments.is_empty() {
            let list = departments
                .into_iter()
                .map(|(department, outcome, millis)| {
                    let mut entry = async_graphql::indexmap::IndexMap::new();
                    entry.insert(
                        async_graphql::Name::new("department"),
                        Value::String(department.to_owned()),
                    );
                    entry.insert(async_graphql::Name::new("outcome"), Value::String(outcome));
                    entry.insert(
                        async_graphql::Name::new("elapsedMs"),
                        Value::Number(millis.into()),
                    );
                    Value::Object(entry)
                })
                .collect();
            response
                .extensions
                .insert("departments".into(), Value::List(list));
        }
        if !withheld.is_empty() {
            let list = withheld
                .into_iter()
                .map(|g| Value::String(g.to_owned()))
                .collect();
            response
                .extensions
                .insert("withheldFieldGroups".into(), Value::List(list));
        }
        response
    }
}
