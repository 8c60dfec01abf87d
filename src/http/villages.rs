//! `/villages/{code}/…`: each village's public pages (村务公开, measure 17). `services`
//! is its service list for a phone; `poster` the A4 sheet for the village notice board,
//! with a QR code of the list's address that the hub draws here. Both pages are clients
//! of the public `villageServices` query, every file embedded like the dashboard's; this
//! module serves files and the QR code, nothing else.

use actix_web::{HttpRequest, HttpResponse, web};
use qrcode::{EcLevel, QrCode, render::svg};
use rust_embed::Embed;

use super::{AppState, embedded};
use crate::{domain::RegionCode, store::regions};

/// The pages' files (`assets/villages/`), compiled in.
#[derive(Embed)]
#[folder = "assets/villages/"]
struct Assets;

/// Where the poster's template takes the QR code and the address.
const QR_SLOT: &str = "<!--qr-->";
const ADDRESS_SLOT: &str = "{{address}}";

/// `GET /villages/{code}/{file}`: `services`, `poster`, or a script or style sheet of
/// theirs. A code that names no village or community is 404.
pub async fn file(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (code, file) = path.into_inner();
    if !matches!(file.as_str(), "services" | "poster") {
        // Scripts and style sheets; the pages only through their own names.
        if file.ends_with(".html") {
            return embedded::not_found();
        }
        return embedded::serve::<Assets>(&file);
    }
    let village = match RegionCode::parse_village(&code) {
        Ok(village) if village.as_str() == code => village,
        _ => return embedded::not_found(),
    };
    match regions::find(&state.services.db, &village).await {
        Ok(Some(_)) => {}
        Ok(None) => return embedded::not_found(),
        Err(err) => {
            tracing::warn!(error = %err, "village page: the division tree could not be read");
            return HttpResponse::ServiceUnavailable().finish();
        }
    }
    if file == "services" {
        return embedded::serve::<Assets>("services.html");
    }
    let address = services_address(&request, &state.settings.server.public_base_url, &village);
    match poster(&address) {
        Some(html) => embedded::respond("poster.html", html.into_bytes()),
        None => HttpResponse::InternalServerError().finish(),
    }
}

/// The address of the village's service list: under `server.public_base_url`, else
/// under the address this request came to.
fn services_address(request: &HttpRequest, base: &str, village: &RegionCode) -> String {
    let base = if base.is_empty() {
        let connection = request.connection_info();
        format!("{}://{}", connection.scheme(), connection.host())
    } else {
        base.trim_end_matches('/').to_owned()
    };
    format!("{base}/villages/{}/services", village.as_str())
}

/// The poster page with the QR code of `address` drawn in and the address written out.
fn poster(address: &str) -> Option<String> {
    let template = Assets::get("poster.html")?;
    let template = std::str::from_utf8(&template.data).ok()?;
    Some(
        template
            .replace(QR_SLOT, &qr_svg(address)?)
            .replace(ADDRESS_SLOT, &escape(address)),
    )
}

/// `text` as a QR code in inline SVG (medium error correction: a poster on a notice
/// board gets creased and faded).
fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // Inline in HTML: the XML declaration goes.
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_inline_svg_and_the_address_is_escaped() {
        let svg = qr_svg("http://hub.example/villages/220122101201/services").unwrap_or_default();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(escape("a<b&\"c\">"), "a&lt;b&amp;&quot;c&quot;&gt;");
    }
}
