//! Pages whose every file is compiled into the binary (rust-embed), so that they work on
//! an intranet with no outside network: one way to serve them, under one policy that
//! allows no inline script and nothing from another host.

use actix_web::{HttpResponse, http::header};
use rust_embed::Embed;

/// Scripts and styles from this hub only, and no inline script; the pages talk to this
/// hub alone.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The embedded file `name` of `A`, or 404.
pub fn serve<A: Embed>(name: &str) -> HttpResponse {
    match A::get(name) {
        Some(file) => respond(name, file.data.into_owned()),
        None => not_found(),
    }
}

/// `body` as the file `name`, under the pages' policy.
pub fn respond(name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type(name))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        // Revalidated on each load: a new hub version brings a new page at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

pub fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}
