//! Errors answered before GraphQL runs (bad media type, body too large, bad token), in
//! the same `{"errors": [...]}` shape as GraphQL errors, in the caller's language.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use serde_json::json;

use crate::{error::ErrorCode, messages::Language};

/// The caller's language, from `Accept-Language`.
pub fn language(request: &HttpRequest) -> Language {
    Language::from_accept_language(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

pub fn problem(
    request: &HttpRequest,
    status: StatusCode,
    code: ErrorCode,
    message: &str,
) -> HttpResponse {
    let mut error = crate::error::request_error(code, message);
    crate::messages::localize(language(request), &mut error);
    HttpResponse::build(status)
        .content_type("application/json")
        .body(json!({ "errors": [error] }).to_string())
}

pub async fn not_found(request: HttpRequest) -> HttpResponse {
    problem(
        &request,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such route",
    )
}

pub async fn method_not_allowed(request: HttpRequest) -> HttpResponse {
    let mut response = problem(
        &request,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "use GET or POST on /graphql",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
    response
}
