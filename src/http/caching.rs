//! What caches may keep. An anonymous GET query can only read public data (the division
//! tree, the catalogue), so its answer is cacheable, with an `ETag` to revalidate it;
//! every other answer (to a token, or to a POST) may hold personal data and is
//! `no-store`.

use std::time::Duration;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        Method, StatusCode,
        header::{self, HeaderValue},
    },
};
use sha2::{Digest, Sha256};

/// Whether an answer to `request` may be shared: a GET without a token.
pub fn is_public(request: &HttpRequest) -> bool {
    request.method() == Method::GET && !request.headers().contains_key(header::AUTHORIZATION)
}

/// The headers of an answer, or `304 Not Modified` when the client holds this very body.
pub fn finish(
    request: &HttpRequest,
    public: bool,
    max_age: Duration,
    mut response: HttpResponse,
    body: &str,
) -> HttpResponse {
    if !public || response.status() != StatusCode::OK {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    // Weak: the same answer is sent gzip, brotli or plain, which are not byte-equal.
    let tag = format!(
        "W/\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    let cache_control = if max_age.is_zero() {
        "public, no-cache".to_owned()
    } else {
        format!("public, max-age={}", max_age.as_secs())
    };
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| weak_eq(t.trim(), &tag) || t.trim() == "*")
        });
    if matches {
        response = HttpResponse::NotModified().finish();
    }
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, cache_control),
        (header::ETAG, tag),
        (header::VARY, "Accept-Encoding, Accept-Language".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The weak comparison of two entity tags (`W/` ignored on either).
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}
