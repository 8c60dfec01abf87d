//! Which answers `Compress` may encode: not those under `server.compress_min_bytes`
//! (the encoding costs more than it saves) and not a stream of server-sent events (an
//! encoder holds back small events until its buffer fills, so subscribers would wait).
//!
//! `Compress` leaves alone a response that already has a `Content-Encoding`; [`hold_back`]
//! (inside it) marks such responses `identity`, and [`release`] (outside it) takes the
//! mark off again before the response leaves.

use actix_web::{
    Error,
    body::{BodySize, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};

use super::AppState;

pub async fn hold_back(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let min_bytes = request
        .app_data::<web::Data<AppState>>()
        .map_or(0, |state| state.settings.server.compress_min_bytes);
    let mut response = next.call(request).await?;
    let small = match response.response().body().size() {
        BodySize::Sized(size) => size < u64::try_from(min_bytes).unwrap_or(u64::MAX),
        BodySize::None => true,
        BodySize::Stream => false,
    };
    let events = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if (small || events) && !response.headers().contains_key(header::CONTENT_ENCODING) {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    Ok(response)
}

pub async fn release(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(request).await?;
    if response
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "identity")
    {
        response.headers_mut().remove(header::CONTENT_ENCODING);
    }
    Ok(response)
}
