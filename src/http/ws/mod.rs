//! GraphQL over WebSocket (graphql-transport-ws). Browsers cannot set headers on a
//! WebSocket, so the token, purpose and case reference travel in `connection_init`'s
//! payload: `{ "token": "…", "purpose": "VISIT", "caseRef": "…" }`. Every operation goes
//! through the same door and audit as over HTTP; every event a subscription pushes is
//! audited on its own before it is sent.
//!
//! Close codes ([`close`]): 4403 a refused init, 4408 no init within the wait, 4401 the
//! token expired (at its `exp` plus the allowed clock skew, idle or not) or a `subscribe`
//! before the acknowledgement, 4400 an invalid message, 4409 a `subscribe` reusing the id
//! of a running operation ([`screen`]).

mod close;
mod executor;
mod gate;
mod init;
mod outcome;
mod screen;

use std::{
    pin::Pin,
    sync::{Arc, OnceLock},
    time::Duration,
};

use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::header, web};
use async_graphql::{
    Data,
    http::{WebSocket, WebSocketProtocols, WsMessage},
};
use futures_util::StreamExt;
use tokio::time::{Instant, Sleep};

use super::RequestId;
use crate::{http::AppState, messages::Language};
pub(super) use executor::SocketExecutor;
pub(super) use init::Session;
use outcome::Outcomes;
use screen::Screen;

const PROTOCOL: &str = "graphql-transport-ws";
/// How long a socket may stay open without `connection_init`.
const INIT_WAIT: Duration = Duration::from_secs(10);

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
    let language = super::problem::language(&request);
    let (mut response, session, messages) = actix_ws::handle(&request, body)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(PROTOCOL),
    );
    actix_web::rt::spawn(serve(
        state.into_inner(),
        session,
        messages,
        request_id,
        language,
    ));
    Ok(response)
}

async fn serve(
    state: Arc<AppState>,
    mut socket: actix_ws::Session,
    messages: actix_ws::MessageStream,
    request_id: String,
    language: Language,
) {
    let session: Arc<OnceLock<Session>> = Arc::new(OnceLock::new());
    let executor = SocketExecutor {
        schema: state.schema.clone(),
        services: state.services.clone(),
        session: session.clone(),
        quotas: Some(state.quotas.clone()),
    };
    let screen = Screen::new(session.clone());
    let admitted = screen.clone();
    // A client's Close frame ends the input; the hub answers it with the same code, so a
    // client's `dispose()` completes at once instead of waiting for a timeout.
    let client_closed: Arc<OnceLock<Option<actix_ws::CloseReason>>> = Arc::default();
    let closing = client_closed.clone();
    let incoming = messages
        .take_while(move |message| {
            let open = match message {
                Ok(actix_ws::Message::Close(reason)) => {
                    let _ = closing.set(reason.clone());
                    false
                }
                _ => true,
            };
            std::future::ready(open)
        })
        .filter_map(|message| async move {
            match message {
                Ok(actix_ws::Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(actix_ws::Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            }
        })
        // The library reads the next message only once the previous one is handled (an
        // init acknowledged), so the screen sees the session as the protocol means it.
        .scan((), move |_, bytes| {
            std::future::ready(admitted.admit(&bytes).map(Ok::<_, serde_json::Error>))
        });
    let init_state = state.clone();
    let init_session = session.clone();
    let mut outgoing =
        WebSocket::from_message_stream(executor, incoming, WebSocketProtocols::GraphQLWS)
            .on_connection_init(move |payload| async move {
                let established =
                    init::session_from(&init_state, &payload, request_id, language).await?;
                let _ = init_session.set(established);
                Ok(Data::default())
            })
            .boxed_local();
    let wait = tokio::time::sleep(INIT_WAIT);
    tokio::pin!(wait);
    let mut expiry: Option<Pin<Box<Sleep>>> = None;
    let mut outcomes = Outcomes::default();
    loop {
        if expiry.is_none() {
            expiry = session.get().and_then(expiry_timer);
        }
        let next = tokio::select! {
            next = outgoing.next() => next,
            () = &mut wait, if session.get().is_none() => {
                let _ = socket
                    .close(Some(close::frame(close::INIT_TIMEOUT, "connection initialisation timeout")))
                    .await;
                return;
            }
            () = state.drain.started() => {
                let _ = socket
                    .close(Some(close::frame(close::SERVICE_RESTART, "service restart")))
                    .await;
                return;
            }
            () = fire(&mut expiry) => {
                let _ = socket
                    .close(Some(close::frame(close::TOKEN_EXPIRED, "token expired")))
                    .await;
                return;
            }
        };
        match next {
            Some(WsMessage::Text(text)) => {
                let text = match outcomes.rewrite(&text) {
                    None => text,
                    Some(Some(rewritten)) => rewritten,
                    Some(None) => continue,
                };
                screen.sent(&text);
                if socket.text(text).await.is_err() {
                    return;
                }
            }
            Some(WsMessage::Close(code, reason)) => {
                // The library closes a refused init with 1002; the protocol says 4403.
                let code = if code == 1002 && session.get().is_none() {
                    close::INIT_REFUSED
                } else {
                    code
                };
                let _ = socket.close(Some(close::frame(code, &reason))).await;
                return;
            }
            None => {
                let frame = match client_closed.get() {
                    Some(reason) => reason.clone(),
                    None => screen.violation().map(|v| close::frame(v.code, &v.reason)),
                };
                let _ = socket.close(frame).await;
                return;
            }
        }
    }
}

/// A timer for the moment the session's token stops being accepted.
fn expiry_timer(session: &Session) -> Option<Pin<Box<Sleep>>> {
    let left = (session.accepted_until? - chrono::Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    let deadline = Instant::now().checked_add(left)?;
    Some(Box::pin(tokio::time::sleep_until(deadline)))
}

/// Completes when the timer fires; never without one.
async fn fire(timer: &mut Option<Pin<Box<Sleep>>>) {
    match timer {
        Some(timer) => timer.as_mut().await,
        None => std::future::pending().await,
    }
}
