//! GraphQL over server-sent events (the `graphql-sse` protocol, "distinct connections"
//! mode) at `/graphql/stream`, for clients that cannot hold a WebSocket. Each request is
//! one operation: its results come as `next` events, then `complete`. The caller comes
//! from the headers as over HTTP (`Authorization`, `X-Purpose`, `X-Case-Ref`,
//! `Accept-Language`); the operation runs through the socket's executor, so each pushed
//! event passes the same door and is audited before it is sent, and the stream ends with
//! an `INVALID_TOKEN` event when the token expires. An instance that is stopping ends its
//! streams without `complete`, so their clients reconnect through the load balancer.

use std::{
    pin::Pin,
    sync::{Arc, OnceLock},
    time::Duration,
};

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{Executor, Variables};
use futures_util::{StreamExt, stream};
use serde_json::json;

use super::{
    AppState, RequestId,
    graphql::{
        CASE_REF, GraphqlParams, PURPOSE, bad_request, header_str, params_from_query_string,
        read_post, refuse,
    },
    negotiate::ResponseFormat,
    problem::{language, problem},
    ws::{Session, SocketExecutor},
};
use crate::{
    error::{self, AppError, ErrorCode},
    messages,
    policy::{self, Caller},
};

pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    match read_post(&request, payload, &state).await {
        Ok(params) => stream_operation(&request, state.into_inner(), params).await,
        Err(refusal) => refusal,
    }
}

pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match params_from_query_string(request.query_string()) {
        Ok(params) => stream_operation(&request, state.into_inner(), params).await,
        Err(message) => bad_request(&request, &message),
    }
}

async fn stream_operation(
    request: &HttpRequest,
    state: Arc<AppState>,
    params: GraphqlParams,
) -> HttpResponse {
    let language = language(request);
    let verified = match bearer(request) {
        Err(()) => None.ok_or(crate::auth::AuthError::MalformedHeader),
        Ok(None) => Ok(None),
        Ok(Some(token)) => state.verifier.verify_token(token).await.map(Some),
    };
    let verified = match verified {
        Ok(verified) => verified,
        Err(err) => {
            tracing::info!(reason = err.reason(), "bearer token refused");
            return problem(
                request,
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                &err.to_string(),
            );
        }
    };
    let declared_case = request.headers().get(CASE_REF).map(|v| v.as_bytes());
    let case_ref = match policy::case_ref(declared_case) {
        Ok(case_ref) => case_ref,
        Err(err) => {
            let err = AppError::from(err);
            return problem(
                request,
                StatusCode::BAD_REQUEST,
                err.code(),
                &err.to_string(),
            );
        }
    };
    let principal = verified.as_ref().map(|v| v.principal.clone());
    let verdict = state.quotas.count(principal.as_ref()).await;
    if let Some(verdict) = verdict.as_ref().filter(|v| !v.admitted) {
        return verdict.refusal(request);
    }
    let trusted_only = state
        .documents
        .trusted_only(principal.as_ref().map(|p| p.role));
    let query = match state.documents.resolve(params.document, trusted_only) {
        Ok(query) => query,
        Err(refusal) => return refuse(request, &state, refusal, ResponseFormat::Json),
    };
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let anonymous = principal.is_none();
    let session = Session {
        caller: Caller::new(
            principal,
            header_str(request, PURPOSE),
            case_ref,
            request_id,
        ),
        accepted_until: verified.map(|v| v.accepted_until),
        language,
    };
    let accepted_until = session.accepted_until;
    let executor = SocketExecutor {
        schema: state.schema.clone(),
        services: state.services.clone(),
        session: Arc::new(OnceLock::from(session)),
        // Counted once above: the request is the operation.
        quotas: None,
    };
    let mut gql = async_graphql::Request::new(query);
    if let Some(name) = params.operation_name {
        gql = gql.operation_name(name);
    }
    if let Some(variables) = params.variables {
        gql = gql.variables(Variables::from_json(variables));
    }
    if anonymous && !state.settings.server.introspection {
        gql = gql.disable_introspection();
    }
    let results = executor
        .execute_stream(gql, None)
        .map(|response| {
            let payload = serde_json::to_string(&response).unwrap_or_else(|_| "{}".into());
            event("next", &payload)
        })
        .boxed();
    let expiry: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async move {
        match accepted_until {
            Some(until) => {
                let left = (until - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                tokio::time::sleep(left).await;
            }
            None => std::future::pending().await,
        }
    });
    let drain = state.drain.clone();
    let events = stream::unfold(Step::Running(results, expiry), move |step| {
        let drain = drain.clone();
        async move {
            match step {
                Step::Running(mut results, mut expiry) => tokio::select! {
                    next = results.next() => Some(match next {
                        Some(bytes) => (bytes, Step::Running(results, expiry)),
                        None => (event("complete", ""), Step::Done),
                    }),
                    // The instance is stopping: the stream ends without `complete`, which the
                    // client takes as a lost connection and reconnects (elsewhere).
                    () = drain.started() => None,
                    // The subscriber is told that its token expired, then the stream completes.
                    () = &mut expiry => {
                        let mut error = error::request_error(ErrorCode::InvalidToken, "token expired");
                        messages::localize(language, &mut error);
                        let payload = json!({ "errors": [error] }).to_string();
                        Some((event("next", &payload), Step::Completing))
                    }
                },
                Step::Completing => Some((event("complete", ""), Step::Done)),
                Step::Done => None,
            }
        }
    });
    let mut response = HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, language.tag()))
        .streaming(events.map(Ok::<_, actix_web::Error>));
    if let Some(verdict) = &verdict {
        verdict.stamp(&mut response);
    }
    response
}

enum Step {
    Running(
        futures_util::stream::BoxStream<'static, web::Bytes>,
        Pin<Box<dyn Future<Output = ()>>>,
    ),
    Completing,
    Done,
}

/// The bearer token of the `Authorization` header; `Err` for a header of another shape.
fn bearer(request: &HttpRequest) -> Result<Option<&str>, ()> {
    let Some(value) = header_str(request, header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or(())
}

fn event(name: &str, data: &str) -> web::Bytes {
    web::Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}
