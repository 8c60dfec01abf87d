//! Cross-origin access for dashboards served from another origin: only the origins the
//! settings list, only GET and POST, and the hub's own request and response headers.
//! With no origin listed, a browser lets no other origin read an answer.

use actix_cors::Cors;

use super::ServerSettings;

pub fn cors(settings: &ServerSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers(settings.cors_allow_headers.iter().map(String::as_str))
        .expose_headers(settings.cors_expose_headers.iter().map(String::as_str))
        .max_age(usize::try_from(settings.cors_max_age.as_secs()).unwrap_or(usize::MAX));
    for origin in &settings.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
