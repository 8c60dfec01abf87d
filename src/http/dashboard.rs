//! `/dashboard`: the provincial dashboard page, every asset embedded in the binary so
//! that it works on an intranet with no outside network. The page is only a client of
//! the public `/graphql` with the token its user pastes; this module serves files and
//! nothing else.

use actix_web::{HttpResponse, web};
use rust_embed::Embed;

use super::embedded;

/// The page's files (`assets/dashboard/`), compiled in.
#[derive(Embed)]
#[folder = "assets/dashboard/"]
struct Assets;

/// `GET /dashboard`: the page.
pub async fn page() -> HttpResponse {
    embedded::serve::<Assets>("index.html")
}

/// `GET /dashboard/{file}`: its script, style sheet and icons.
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    embedded::serve::<Assets>(&file)
}
