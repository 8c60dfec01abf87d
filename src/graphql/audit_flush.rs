//! Writes what a request read to the audit log before its response leaves. If the log
//! cannot be written, the response carries no data at all: `AUDIT_UNAVAILABLE`.
//!
//! An operation over a socket ([`LiveOperation`]) runs each execution with a request
//! context of its own: every event a subscription pushes is one execution, so each event
//! is audited on its own, before it is sent.

use tracing::Instrument;

use async_graphql::{
    Data, Response, ServerError, Value,
    extensions::{ExtensionContext, NextExecute},
};

use super::{LiveOperation, RequestContext, Services, resident::departments::DepartmentOutcomes};
use crate::{
    error::{ErrorCode, request_error},
    policy::{AccessLog, Caller},
};

/// Runs the operation, then writes what it read. The innermost step around execution:
/// what the steps outside it add to the response is not personal data.
pub async fn execute(
    ctx: &ExtensionContext<'_>,
    operation_name: Option<&str>,
    next: NextExecute<'_>,
) -> Response {
    let Some(services) = ctx.data_opt::<Services>() else {
        return next.run(ctx, operation_name).await;
    };
    if let Some(live) = ctx.data_opt::<LiveOperation>() {
        let fresh = RequestContext::new(live.caller.clone(), services);
        let access = fresh.access.clone();
        let outcomes = fresh.departments.outcomes.clone();
        let mut data = Data::default();
        data.insert(fresh);
        let response = next.run_with_data(ctx, operation_name, data).await;
        return flush(response, &live.caller, &access, &outcomes, services).await;
    }
    let response = next.run(ctx, operation_name).await;
    match ctx.data_opt::<RequestContext>() {
        Some(request) => {
            flush(
                response,
                &request.caller,
                &request.access,
                &request.departments.outcomes,
                services,
            )
            .await
        }
        None => response,
    }
}

/// Records what was read, then adds the department outcomes and the withheld field
/// groups to the response's extensions.
async fn flush(
    mut response: Response,
    caller: &Caller,
    access: &AccessLog,
    outcomes: &DepartmentOutcomes,
    services: &Services,
) -> Response {
    let withheld = access.withheld_groups();
    let events = access.drain(&caller.actor());
    if !events.is_empty() {
        let span = tracing::debug_span!(
            "audit.write",
            audit.records = events.len(),
            outcome = tracing::field::Empty,
        );
        let written = services.audit.record(events).instrument(span.clone()).await;
        span.record(
            "outcome",
            if written.is_ok() { "written" } else { "failed" },
        );
        if written.is_err() {
            return audit_unavailable();
        }
    }
    let departments = outcomes.summary();
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

/// The answer in place of personal data whose reading could not be recorded.
pub fn audit_unavailable() -> Response {
    let error: ServerError = request_error(
        ErrorCode::AuditUnavailable,
        "the access could not be recorded, so no personal data is returned; try again",
    );
    Response::from_errors(vec![error])
}

/// Whether `response` is the answer of an access that could not be recorded.
pub fn is_audit_unavailable(response: &Response) -> bool {
    response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| {
                *code == Value::String(ErrorCode::AuditUnavailable.as_str().to_owned())
            })
    })
}
