//! `/dashboard`: the provincial dashboard page, every asset embedded in the binary so
//! that it works on an intranet with no outside network. The page is only a client of
//! the public `/graphql` with the token its user pastes; this module serves files and
//! nothing else.

use actix_web::{HttpResponse, http::header, web};
use rust_embed::Embed;

/// The page's files (`assets/dashboard/`), compiled in.
#[derive(Embed)]
#[folder = "assets/dashboard/"]
struct Assets;

/// Scripts and styles from this hub only, and no inline script; the page talks to this
/// hub alone.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// `GET /dashboard`: the page.
pub async fn page() -> HttpResponse {
    serve("index.html")
}

/// `GET /dashboard/{file}`: its script, style sheet and icons.
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    serve(&file)
}

fn serve(name: &str) -> HttpResponse {
    let Some(file) = Assets::get(name) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    HttpResponse::Ok()
        .content_type(content_type(name))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        // Revalidated on each load: a new hub version brings a new page at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(file.data.into_owned())
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
