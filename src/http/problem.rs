//! Errors answered before GraphQL runs (bad media type, body too large, bad token), in
//! the same `{"errors": [...]}` shape as GraphQL errors.

use actix_web::{HttpResponse, http::StatusCode};
use serde_json::json;

use crate::error::ErrorCode;

pub fn problem(status: StatusCode, code: ErrorCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(
            json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] })
                .to_string(),
        )
}

pub async fn not_found() -> HttpResponse {
    problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

pub async fn method_not_allowed() -> HttpResponse {
    let mut response = problem(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "use GET or POST on /graphql",
    );
    response.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static("GET, POST"),
    );
    response
}
