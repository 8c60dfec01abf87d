//! The GraphQL-over-HTTP behaviours of `/graphql`, and the other routes.

use cunhub::{
    auth::Role,
    sim::{Department as Sim, population::Registration},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, read, spawn_app, spawn_app_with, spawn_hub_with_departments},
    websocket::{next_json, open, send},
};

const QUERY: &str = r#"{ region(code: "22") { name } }"#;

#[tokio::test]
async fn post_answers_graphql_response_json_when_asked_for_it() {
    let app = spawn_app().await;
    let response = app.graphql(QUERY).send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .content_type()
            .starts_with("application/graphql-response+json")
    );
    assert_eq!(response.data()["region"]["name"], "吉林省");
}

#[tokio::test]
async fn post_answers_application_json_when_only_that_is_accepted() {
    let app = spawn_app().await;
    let response = app.graphql(QUERY).accept("application/json").send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.content_type().starts_with("application/json"));
}

#[tokio::test]
async fn no_accept_header_means_application_json() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    // Written by hand: HTTP clients add an Accept header of their own.
    let body = json!({ "query": QUERY }).to_string();
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let head = answer.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{answer}");
    assert!(head.contains("content-type: application/json"), "{answer}");
    assert!(answer.contains("吉林省"));
}

#[tokio::test]
async fn validation_error_is_400_without_data_for_graphql_response_json() {
    let app = spawn_app().await;
    let response = app.graphql("{ nonsense }").send().await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.body.get("data").is_none(), "{}", response.body);
    assert_eq!(response.error_codes(), ["GRAPHQL_VALIDATION_FAILED"]);
}

#[tokio::test]
async fn validation_error_is_200_for_legacy_application_json() {
    let app = spawn_app().await;
    let response = app
        .graphql("{ nonsense }")
        .accept("application/json")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.error_codes(), ["GRAPHQL_VALIDATION_FAILED"]);
}

#[tokio::test]
async fn parse_error_is_400_with_its_own_code() {
    let app = spawn_app().await;
    let response = app.graphql("{ region(code: ").send().await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_codes(), ["GRAPHQL_PARSE_FAILED"]);
}

#[tokio::test]
async fn field_error_keeps_200_and_data() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ a: region(code: "22") { name } b: region(code: "x") { name } }"#)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.data()["a"]["name"], "吉林省");
    assert!(response.data()["b"].is_null());
    assert_eq!(response.error_codes(), ["INVALID_REGION_CODE"]);
}

#[tokio::test]
async fn non_json_posts_are_refused_before_running() {
    let app = spawn_app().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = read(
            app.request(Method::POST, "/graphql")
                .header("content-type", content_type)
                .body(json!({ "query": QUERY }).to_string())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(response.error_codes(), ["UNSUPPORTED_MEDIA_TYPE"]);
    }
    let no_type = read(
        app.request(Method::POST, "/graphql")
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let app = spawn_app().await;
    for body in [
        "{not json",
        "[]",
        r#"[{"query":"{ __typename }"}]"#,
        "{}",
        r#"{"query": 5}"#,
        r#"{"query":"{ __typename }","variables":[1]}"#,
    ] {
        let response = read(
            app.request(Method::POST, "/graphql")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_codes(), ["BAD_REQUEST"], "{body}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let padding = " ".repeat(app.settings.server.body_limit + 1);
    let response = read(
        app.request(Method::POST, "/graphql")
            .header("content-type", "application/json")
            .body(format!(r#"{{"query":"{{ __typename }}{padding}"}}"#))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.error_codes(), ["PAYLOAD_TOO_LARGE"]);
}

#[tokio::test]
async fn an_unacceptable_accept_header_is_406() {
    let app = spawn_app().await;
    let response = app.graphql(QUERY).accept("text/html").send().await;
    assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(response.error_codes(), ["NOT_ACCEPTABLE"]);
}

#[tokio::test]
async fn get_runs_queries_with_operation_name_and_variables() {
    let app = spawn_app().await;
    let response = read(
        app.request(Method::GET, "/graphql")
            .query(&[
                (
                    "query",
                    "query A { __typename } query B($c: String!) { region(code: $c) { name } }",
                ),
                ("operationName", "B"),
                ("variables", r#"{"c":"220122"}"#),
            ])
            .header("accept", "application/graphql-response+json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.data()["region"]["name"], "农安县");
}

#[tokio::test]
async fn get_refuses_mutations_with_405() {
    let app = spawn_app().await;
    for (query, operation) in [
        ("mutation { anything }", None),
        ("query A { __typename } mutation B { x }", Some("B")),
    ] {
        let mut params = vec![("query", query)];
        if let Some(name) = operation {
            params.push(("operationName", name));
        }
        let response = read(
            app.request(Method::GET, "/graphql")
                .query(&params)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{query}");
        assert_eq!(
            response.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some("POST")
        );
        assert_eq!(response.error_codes(), ["METHOD_NOT_ALLOWED"]);
    }
    // The query of the same document still runs over GET.
    let response = read(
        app.request(Method::GET, "/graphql")
            .query(&[
                ("query", "query A { __typename } mutation B { x }"),
                ("operationName", "A"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_ne!(response.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn get_without_query_is_400() {
    let app = spawn_app().await;
    let response = read(app.request(Method::GET, "/graphql").send().await.unwrap()).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let kept = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    for bad in ["bad id".to_owned(), "x".repeat(65)] {
        let replaced = app
            .request(Method::GET, "/healthz")
            .header("x-request-id", &bad)
            .send()
            .await
            .unwrap();
        let id = replaced.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 36, "a fresh UUID, got {id}");
    }
    for path in ["/graphql", "/nowhere", "/readyz", "/metrics"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        assert!(response.headers().contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn unknown_routes_are_json_404() {
    let app = spawn_app().await;
    let response = read(app.request(Method::GET, "/nowhere").send().await.unwrap()).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.error_codes(), ["NOT_FOUND"]);
}

#[tokio::test]
async fn health_readiness_and_graphiql_answer() {
    // GraphiQL is off by default (tests/api/posture.rs); here it is enabled.
    let app = spawn_app_with(|s| s.server.graphiql = true).await;
    let alive = read(app.request(Method::GET, "/healthz").send().await.unwrap()).await;
    assert_eq!(alive.status, StatusCode::OK);
    let ready = read(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["database"], "ok");
    let graphiql = app.request(Method::GET, "/graphiql").send().await.unwrap();
    assert_eq!(graphiql.status(), StatusCode::OK);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.unwrap();
    let ready = read(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["database"], "unavailable");
}

#[tokio::test]
async fn metrics_count_requests_and_error_codes() {
    let app = spawn_app().await;
    app.graphql(QUERY).send().await;
    app.graphql("{ nonsense }").send().await;
    let text = app.metrics().await;
    assert!(
        text.contains(
            r#"cunhub_http_requests_total{method="POST",route="/graphql",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"cunhub_http_requests_total{method="POST",route="/graphql",status="400"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"cunhub_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1"#),
        "{text}"
    );
    assert!(text.contains("cunhub_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn a_malformed_date_argument_is_a_validation_error_naming_it() {
    let app = spawn_app().await;
    let token = app.token(cunhub::auth::Role::VillageAssistant, "220122101201");
    let refused = |response: &crate::helpers::TestResponse, argument: &str| {
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.body
        );
        assert_eq!(response.error_codes(), ["GRAPHQL_VALIDATION_FAILED"]);
        let message = response.body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(r#"argument "{argument}""#)),
            "{message}"
        );
        assert!(response.body.get("data").is_none());
    };
    // Written in the document, inside an input object.
    let response = app
        .graphql(r#"{ serviceRequests(filter: { updatedSince: "yesterday" }) { totalCount } }"#)
        .bearer(&token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    refused(&response, "filter.updatedSince");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("yesterday")
    );
    // Passed as a variable, as a whole input object or as the scalar itself.
    let response = app
        .graphql("query($f: ServiceRequestFilter!) { serviceRequests(filter: $f) { totalCount } }")
        .variables(json!({ "f": { "updatedSince": "2026-13-01T00:00:00Z" } }))
        .bearer(&token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    refused(&response, "filter.updatedSince");
    let response = app
        .graphql(
            r#"query($s: DateTime) { alerts(region: "220122101201", updatedSince: $s) { totalCount } }"#,
        )
        .variables(json!({ "s": "last tuesday" }))
        .bearer(&token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    refused(&response, "updatedSince");
    // A date (NaiveDate) too.
    let response = app
        .graphql(r#"{ visits(filter: { visitedSince: "30/11/2026" }) { totalCount } }"#)
        .bearer(&token)
        .purpose("VISIT")
        .send()
        .await;
    refused(&response, "filter.visitedSince");
    // In a fragment the operation spreads, or inside an inline fragment.
    for document in [
        r#"query { ...Seen } fragment Seen on Query { visits(filter: { visitedSince: "30/11/2026" }) { totalCount } }"#,
        r#"query { ... on Query { visits(filter: { visitedSince: "30/11/2026" }) { totalCount } } }"#,
    ] {
        let response = app
            .graphql(document)
            .bearer(&token)
            .purpose("VISIT")
            .send()
            .await;
        refused(&response, "filter.visitedSince");
    }
    // Well-formed values run.
    let response = app
        .graphql(
            r#"{ serviceRequests(filter: { updatedSince: "2026-11-30T08:00:00+08:00" }) { totalCount }
                 visits(filter: { visitedSince: "2026-11-30" }) { totalCount } }"#,
        )
        .bearer(&token)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(response.body.get("errors").is_none(), "{}", response.body);
}

#[tokio::test]
async fn a_case_reference_too_long_or_with_control_characters_is_refused() {
    use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};
    let app = spawn_app().await;
    let admin = app.token(cunhub::auth::Role::Admin, "22");
    let query = r#"{ residentByIdNumber(idNumber: "220122195603020017") { name } }"#;
    for bad in ["x".repeat(129), "SR-7\tDROP".to_owned()] {
        let response = app
            .graphql(query)
            .bearer(&admin)
            .purpose("VISIT")
            .header("x-case-ref", &bad)
            .send()
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(response.error_codes(), ["INVALID_CASE_REF"], "{bad}");
        assert!(response.body.get("data").is_none());
    }
    let audited = entities::audit_record::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 0, "the refused reads never ran");
    // The longest reference is read and recorded as it is.
    let longest = format!("SR-{}", "9".repeat(125));
    let response = app
        .graphql(query)
        .bearer(&admin)
        .purpose("VISIT")
        .header("x-case-ref", &longest)
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let last = entities::audit_record::Entity::find()
        .order_by_desc(entities::audit_record::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.case_ref.as_deref(), Some(longest.as_str()));
}

#[tokio::test]
async fn metrics_are_served_on_the_operators_listener_only() {
    let app = spawn_app().await;
    let public = read(app.request(Method::GET, "/metrics").send().await.unwrap()).await;
    assert_eq!(public.status, StatusCode::NOT_FOUND);
    assert_eq!(public.error_codes(), ["NOT_FOUND"]);
    let text = app.metrics().await;
    assert!(text.contains("cunhub_department_configured"), "{text}");
    // The operators' listener serves nothing else.
    let operator = app.metrics_address.clone().unwrap();
    let graphql = reqwest::Client::new()
        .post(format!("{operator}/graphql"))
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .unwrap();
    assert_eq!(graphql.status(), StatusCode::NOT_FOUND);
    // Switched off, no listener at all.
    for off in ["off", ""] {
        let app = spawn_app_with(|s| s.server.metrics_bind = off.into()).await;
        assert!(app.metrics_address.is_none());
        let public = app.request(Method::GET, "/metrics").send().await.unwrap();
        assert_eq!(public.status(), StatusCode::NOT_FOUND);
    }
}

/// A hub whose social security department is down, and the query for a resident it knows.
async fn social_security_down() -> (TestApp, cunhub::sim::SimCluster, String) {
    let (app, cluster) = spawn_hub_with_departments(10, |_| {}).await;
    let person = cluster
        .population
        .people
        .iter()
        .find(|p| matches!(p.registration, Registration::Normal) && p.social.is_some())
        .expect("a person with a social insurance record");
    cluster
        .knobs(Sim::SocialSecurity)
        .unwrap()
        .patch(&json!({ "outage": "unavailable" }))
        .unwrap();
    let query = format!(
        r#"{{ resident: residentByIdNumber(idNumber: "{}") {{ name socialInsurance {{ schemes {{ kind }} }} }} }}"#,
        person.id_number.as_str()
    );
    (app, cluster, query)
}

/// The field the failing department answers: present in the object, `null`.
fn assert_social_insurance_is_null(body: &Value) {
    let resident = body["data"]["resident"].as_object().expect("the resident");
    assert!(resident["name"].is_string(), "{body}");
    assert_eq!(
        resident.get("socialInsurance"),
        Some(&Value::Null),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["path"],
        json!(["resident", "socialInsurance"])
    );
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "DEPARTMENT_UNAVAILABLE"
    );
}

#[tokio::test]
async fn a_field_that_errors_is_present_and_null() {
    let (app, _cluster, query) = social_security_down().await;
    let response = app
        .graphql_owned(query)
        .bearer(app.token(Role::Admin, "22"))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_social_insurance_is_null(&response.body);
}

#[tokio::test]
async fn a_field_that_errors_is_present_and_null_over_the_websocket() {
    let (app, _cluster, query) = social_security_down().await;
    let mut socket = open(&app).await;
    let token = app.token(Role::Admin, "22");
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token, "purpose": "VISIT" } }),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    let next = next_json(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_social_insurance_is_null(&next["payload"]);
}

#[tokio::test]
async fn a_client_that_accepts_any_type_gets_application_json() {
    let app = spawn_app().await;
    let response = app.graphql(QUERY).accept("*/*").send().await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response.content_type().starts_with("application/json"),
        "{}",
        response.content_type()
    );
    // A request error is still answered 200 under the legacy type.
    let broken = app.graphql("{ region(").accept("*/*").send().await;
    assert_eq!(broken.status, StatusCode::OK);
    assert!(broken.content_type().starts_with("application/json"));
}

/// The scalars every GraphQL schema has; the specification defines them.
const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

#[tokio::test]
async fn every_custom_scalar_names_its_specification() {
    let app = spawn_app().await;
    let response = app
        .graphql("{ __schema { types { kind name description specifiedByURL } } }")
        .bearer(app.token(Role::Admin, "22"))
        .send()
        .await;
    let types = response.data()["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", response.body));
    let custom: Vec<&Value> = types
        .iter()
        .filter(|t| {
            t["kind"] == "SCALAR" && !BUILT_IN_SCALARS.contains(&t["name"].as_str().unwrap())
        })
        .collect();
    assert!(custom.len() >= 2, "{custom:?}");
    for scalar in &custom {
        let url = scalar["specifiedByURL"].as_str().unwrap_or_default();
        assert!(url.starts_with("https://"), "{scalar}");
        let description = scalar["description"].as_str().unwrap_or_default();
        assert!(
            !description.is_empty() && !description.contains('<') && !description.contains('%'),
            "{scalar}"
        );
    }

    // The printed schema carries the same directive.
    let sdl = cunhub::graphql::sdl();
    for line in sdl.lines().filter(|l| l.starts_with("scalar ")) {
        assert!(line.contains("@specifiedBy(url: \"https://"), "{line}");
    }
    assert_eq!(
        sdl.lines().filter(|l| l.starts_with("scalar ")).count(),
        custom.len()
    );
}
