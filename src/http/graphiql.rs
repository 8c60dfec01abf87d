//! The explorer at `/graphiql`: GraphiQL served entirely by the hub (its scripts are
//! embedded from `assets/explorer/`, refreshed by `scripts/refresh-explorer-assets`), so
//! it works on an intranet with no way out. The page holds a token, so it runs under a
//! Content-Security-Policy that allows the hub's own scripts only.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
    web,
};
use rust_embed::RustEmbed;
use serde_json::json;

#[derive(RustEmbed)]
#[folder = "assets/explorer/"]
struct Assets;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Example operations, one tab each, for the roles that meet the hub first.
const EXAMPLES: &[&str] = &[
    "# Anyone, no token: the division tree (public data).\nquery DivisionTree {\n  region(code: \"220122\") {\n    name\n    children(first: 5) { edges { node { code name } } }\n  }\n}\n",
    "# village_assistant (村级协理员): the residents of your village.\n# Put your token in the Authorization header and declare X-Purpose.\nquery VillageResidents {\n  residents(region: \"220122101201\", first: 5) {\n    totalCount\n    nodes { name }\n  }\n}\n",
    "# township_officer (乡镇干部): alerts of cross-department checks in your township.\nquery TownshipAlerts {\n  alerts(region: \"220122101\", first: 5) {\n    totalCount\n    nodes { id kind live }\n  }\n}\n",
    "# Any worker with a purpose: service requests changing, pushed over the WebSocket.\nsubscription Changes {\n  serviceRequestChanged {\n    request { id status }\n    event { kind }\n  }\n}\n",
    "# auditor (审计员): the latest entries of the access log.\nquery AccessLog {\n  auditLog(first: 5) {\n    nodes { recordedAt role action purpose outcome }\n  }\n}\n",
];

pub async fn page() -> HttpResponse {
    let config = json!({
        "endpoint": "/graphql",
        "headers": {
            "Authorization": "Bearer <paste a token, e.g. from `cunhub token`>",
            "X-Purpose": "SERVICE_HANDLING",
        },
        "examples": EXAMPLES.iter().map(|query| json!({ "query": query })).collect::<Vec<_>>(),
    });
    // `</` cannot end the JSON's script element early.
    let config = config.to_string().replace("</", "<\\/");
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cunhub explorer</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
<style>html, body, #explorer {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="explorer">Loading the explorer…</div>
<script id="explorer-config" type="application/json">{config}</script>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphql-ws.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script src="/graphiql/assets/explorer.js"></script>
</body>
</html>
"#
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// One embedded asset; its content hash is its `ETag`.
pub async fn asset(request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(file) = Assets::get(&name) else {
        return super::problem::not_found(request).await;
    };
    let tag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let content_type = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == tag.as_bytes());
    let mut response = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(content_type)
            .body(file.data.into_owned())
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, tag);
    }
    response
}
