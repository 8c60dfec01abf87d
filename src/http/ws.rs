//! GraphQL over WebSocket (graphql-transport-ws). Browsers cannot set headers on a
//! WebSocket, so the token, purpose and case reference travel in `connection_init`'s
//! payload: `{ "token": "…", "purpose": "VISIT", "caseRef": "…" }`. A refused init closes
//! with 4403, a socket that sends none within the wait closes with 4408. Every operation
//! goes through the same door and audit as over HTTP.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::header, web};
use async_graphql::{
    Data, Executor, Request, Response,
    http::{WebSocket, WebSocketProtocols, WsMessage},
};
use futures_util::{StreamExt, stream::BoxStream};

use super::RequestId;
use crate::{
    graphql::{CunhubSchema, RequestContext, Services},
    policy::Caller,
    startup::AppState,
};

const PROTOCOL: &str = "graphql-transport-ws";
/// How long a socket may stay open without `connection_init`.
const INIT_WAIT: Duration = Duration::from_secs(10);

/// Runs each operation of one socket with a request context of its own, for the caller
/// the socket's `connection_init` established.
#[derive(Clone)]
struct SocketExecutor {
    schema: CunhubSchema,
    services: Services,
    caller: Arc<OnceLock<Caller>>,
}

impl SocketExecutor {
    fn with_context(&self, request: Request) -> Request {
        let caller = self.caller.get().cloned().unwrap_or_default();
        request.data(RequestContext::new(caller, &self.services))
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.schema.execute(self.with_context(request)).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        self.schema
            .execute_stream_with_session_data(
                self.with_context(request),
                session_data.unwrap_or_default(),
            )
            .boxed()
    }
}

pub async fn socket(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let offered = request
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    if !offered {
        return Ok(HttpResponse::BadRequest().body("use the graphql-transport-ws subprotocol"));
    }
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let (mut response, session, messages) = actix_ws::handle(&request, body)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(PROTOCOL),
    );
    actix_web::rt::spawn(serve(state.into_inner(), session, messages, request_id));
    Ok(response)
}

async fn serve(
    state: Arc<AppState>,
    mut session: actix_ws::Session,
    messages: actix_ws::MessageStream,
    request_id: String,
) {
    let caller = Arc::new(OnceLock::new());
    let executor = SocketExecutor {
        schema: state.schema.clone(),
        services: state.services.clone(),
        caller: caller.clone(),
    };
    let incoming = messages.filter_map(|message| async move {
        match message {
            Ok(actix_ws::Message::Text(text)) => Some(text.as_bytes().to_vec()),
            Ok(actix_ws::Message::Binary(bytes)) => Some(bytes.to_vec()),
            _ => None,
        }
    });
    let init_state = state.clone();
    let init_caller = caller.clone();
    let mut outgoing = WebSocket::new(executor, incoming, WebSocketProtocols::GraphQLWS)
        .on_connection_init(move |payload| async move {
            let caller = caller_from(&init_state, &payload, request_id).await?;
            let _ = init_caller.set(caller);
            Ok(Data::default())
        })
        .boxed_local();
    let wait = tokio::time::sleep(INIT_WAIT);
    tokio::pin!(wait);
    loop {
        let next = tokio::select! {
            next = outgoing.next() => next,
            () = &mut wait, if caller.get().is_none() => {
                let _ = session.close(Some(close(4408, "connection initialisation timeout"))).await;
                return;
            }
        };
        match next {
            Some(WsMessage::Text(text)) => {
                if session.text(text).await.is_err() {
                    return;
                }
            }
            Some(WsMessage::Close(code, reason)) => {
                // The library closes a refused init with 1002; the protocol says 4403.
                let code = if code == 1002 && caller.get().is_none() {
                    4403
                } else {
                    code
                };
                let _ = session.close(Some(close(code, &reason))).await;
                return;
            }
            None => {
                let _ = session.close(None).await;
                return;
            }
        }
    }
}

fn close(code: u16, reason: &str) -> actix_ws::CloseReason {
    actix_ws::CloseReason {
        code: actix_ws::CloseCode::Other(code),
        description: Some(reason.chars().take(120).collect()),
    }
}

/// The caller a `connection_init` payload establishes; a bad token refuses the socket.
async fn caller_from(
    state: &AppState,
    payload: &serde_json::Value,
    request_id: String,
) -> async_graphql::Result<Caller> {
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let principal = match text("token") {
        Some(token) => Some(
            state
                .verifier
                .verify(&token)
                .await
                .map_err(|err| async_graphql::Error::new(format!("Forbidden: {err}")))?,
        ),
        None => None,
    };
    Ok(Caller {
        principal,
        declared_purpose: text("purpose"),
        case_ref: text("caseRef")
            .filter(|r| (1..=128).contains(&r.len()) && r.chars().all(|c| c.is_ascii_graphic())),
        request_id,
    })
}
