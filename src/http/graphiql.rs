use actix_web::HttpResponse;
use async_graphql::http::GraphiQLSource;

/// GraphiQL, pointed at this hub's `/graphql`.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("cunhub")
                .finish(),
        )
}
