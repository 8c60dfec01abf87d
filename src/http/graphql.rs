//! `/graphql` over GET and POST, per the GraphQL-over-HTTP specification. The hub reads
//! and answers requests itself (the stock integration accepts any body type, has no size
//! limit, runs mutations over GET and always answers 200).

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use async_graphql::{
    Variables,
    parser::{
        parse_query,
        types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    },
};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::{
    AppState, RequestId, caching,
    documents::{Asked, Refusal},
    negotiate::{self, ResponseFormat},
    problem::{language, problem},
};
use crate::{
    error::{self, AppError, ErrorCode},
    graphql::{RequestContext, limits::count_tokens, response},
    messages,
    policy::{self, Caller},
};

/// The fields of a GraphQL request, from a JSON body or a query string.
pub(super) struct GraphqlParams {
    pub document: Asked,
    pub operation_name: Option<String>,
    pub variables: Option<Value>,
}

pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(format) = negotiate::choose(header_str(&request, header::ACCEPT)) else {
        return not_acceptable(&request);
    };
    let params = match read_post(&request, payload, &state).await {
        Ok(params) => params,
        Err(refusal) => return refusal,
    };
    execute(&request, &state, params, format).await
}

/// The parameters of a POST: only a JSON body within the limit is read.
pub(super) async fn read_post(
    request: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
) -> Result<GraphqlParams, HttpResponse> {
    // Only JSON is read: a text/plain or form POST (which a browser sends cross-site
    // without a preflight) is refused before anything runs.
    if !negotiate::is_json_body(header_str(request, header::CONTENT_TYPE)) {
        return Err(problem(
            request,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "POST /graphql takes a body of type application/json",
        ));
    }
    let limit = state.settings.server.body_limit;
    let declared =
        header_str(request, header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(request, limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Err(bad_request(request, "the request body could not be read"));
        };
        if body.len() + chunk.len() > limit {
            return Err(too_large(request, limit));
        }
        body.extend_from_slice(&chunk);
    }
    params_from_json(&body).map_err(|message| bad_request(request, &message))
}

pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(format) = negotiate::choose(header_str(&request, header::ACCEPT)) else {
        return not_acceptable(&request);
    };
    let params = match params_from_query_string(request.query_string()) {
        Ok(params) => params,
        Err(message) => return bad_request(&request, &message),
    };
    execute(&request, &state, params, format).await
}

async fn execute(
    request: &HttpRequest,
    state: &AppState,
    params: GraphqlParams,
    format: ResponseFormat,
) -> HttpResponse {
    let principal = match state
        .verifier
        .authenticate(header_str(request, header::AUTHORIZATION))
        .await
    {
        Ok(principal) => principal,
        Err(err) => {
            tracing::info!(reason = err.reason(), "bearer token refused");
            let mut refusal = error::request_error(ErrorCode::InvalidToken, err.to_string());
            if let Some(extensions) = &mut refusal.extensions {
                extensions.set("reason", err.reason());
            }
            messages::localize(language(request), &mut refusal);
            let mut response = HttpResponse::build(StatusCode::UNAUTHORIZED)
                .content_type("application/json")
                .body(serde_json::json!({ "errors": [refusal] }).to_string());
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return response;
        }
    };
    let verdict = state.quotas.count(principal.as_ref()).await;
    if let Some(verdict) = verdict.as_ref().filter(|v| !v.admitted) {
        state.metrics.graphql_error(ErrorCode::RateLimited.as_str());
        return verdict.refusal(request);
    }
    let mut answer = execute_as(request, state, params, format, principal).await;
    if let Some(verdict) = &verdict {
        verdict.stamp(&mut answer);
    }
    answer
}

/// Runs a request whose caller is known and within their limits.
async fn execute_as(
    request: &HttpRequest,
    state: &AppState,
    params: GraphqlParams,
    format: ResponseFormat,
    principal: Option<crate::auth::Principal>,
) -> HttpResponse {
    // Anonymous callers may not introspect unless the settings allow it; whoever holds a
    // token may (the schema is no secret to its users, only to strangers).
    let refuse_introspection = principal.is_none() && !state.settings.server.introspection;
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    // A case reference the audit log cannot record as declared stops the request.
    let declared_case = request.headers().get(CASE_REF).map(|v| v.as_bytes());
    let case_ref = match policy::case_ref(declared_case) {
        Ok(case_ref) => case_ref,
        Err(err) => {
            let err = AppError::from(err);
            state.metrics.graphql_error(err.code().as_str());
            return problem(
                request,
                StatusCode::BAD_REQUEST,
                err.code(),
                &err.to_string(),
            );
        }
    };
    let trusted_only = state
        .documents
        .trusted_only(principal.as_ref().map(|p| p.role));
    let query = match state.documents.resolve(params.document, trusted_only) {
        Ok(query) => query,
        Err(refusal) => return refuse(request, state, refusal, format),
    };
    if request.method() == actix_web::http::Method::GET
        && selects_mutation(
            &query,
            params.operation_name.as_deref(),
            state.settings.limits.max_tokens,
        )
    {
        let mut response = problem(
            request,
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "mutations are only accepted over POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let caller = Caller::new(
        principal,
        header_str(request, PURPOSE),
        case_ref,
        request_id,
    );
    let parsed = state.parsed.get(&query);
    let mut gql = async_graphql::Request::new(query);
    if let Some(document) = parsed {
        gql.set_parsed_query(document);
    }
    if let Some(name) = params.operation_name {
        gql = gql.operation_name(name);
    }
    if let Some(variables) = params.variables {
        gql = gql.variables(Variables::from_json(variables));
    }
    if refuse_introspection {
        if asks_introspection(&gql.query, state.settings.limits.max_tokens) {
            let refusal = async_graphql::Response::from_errors(vec![error::request_error(
                ErrorCode::Forbidden,
                "introspection is not available to anonymous callers: send a bearer token",
            )]);
            return respond(request, state, refusal, format);
        }
        // Also at execution, for documents too odd to inspect here.
        gql = gql.disable_introspection();
    }
    let context = RequestContext::new(caller, &state.services);
    let response = state.schema.execute(gql.data(context)).await;
    respond(request, state, response, format)
}

fn respond(
    request: &HttpRequest,
    state: &AppState,
    mut response: async_graphql::Response,
    format: ResponseFormat,
) -> HttpResponse {
    response::finish(&mut response);
    let language = language(request);
    for err in &mut response.errors {
        let code = err
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .and_then(|v| match v {
                async_graphql::Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or("UNKNOWN");
        state.metrics.graphql_error(code);
        messages::localize(language, err);
    }
    // A request error (the document could not run at all) has no `data` entry.
    let request_error = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    // Written straight from the response: `data` keeps the order of the selection.
    let body = serde_json::to_string(&Answer {
        data: (!request_error).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    })
    .unwrap_or_else(|_| r#"{"errors":[{"message":"the answer could not be encoded"}]}"#.into());
    let status = match format {
        ResponseFormat::GraphqlResponse if request_error => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let public = caching::is_public(request) && response.errors.is_empty();
    // Only a public answer is hashed for its ETag; the others need not keep the text.
    let tagged = public.then(|| body.clone());
    let answer = HttpResponse::build(status)
        .content_type(format.media_type())
        .insert_header((header::CONTENT_LANGUAGE, language.tag()))
        .body(body);
    caching::finish(
        request,
        public,
        state.settings.server.public_max_age,
        answer,
        tagged.as_deref().unwrap_or_default(),
    )
}

/// A GraphQL answer as the transport sends it: `data` absent for a request error, `errors`
/// and `extensions` only when there are any.
#[derive(serde::Serialize)]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[async_graphql::ServerError]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// A document that is not run, answered as a request error: 200 for the refusals
/// Apollo's persisted-query link acts on, whatever the media type.
pub(super) fn refuse(
    request: &HttpRequest,
    state: &AppState,
    refusal: Refusal,
    format: ResponseFormat,
) -> HttpResponse {
    let response = async_graphql::Response::from_errors(vec![error::request_error(
        refusal.code(),
        refusal.message(),
    )]);
    let mut answer = respond(request, state, response, format);
    if refusal.answered_ok() {
        *answer.status_mut() = StatusCode::OK;
    }
    answer
}

fn params_from_json(body: &[u8]) -> Result<GraphqlParams, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let Value::Object(mut object) = value else {
        return Err("the body must be a JSON object (batched requests are not supported)".into());
    };
    let query = match object.remove("query") {
        Some(Value::String(query)) => Some(query),
        Some(Value::Null) | None => None,
        Some(_) => return Err("`query` must be a string".into()),
    };
    let document_id = match object.remove("documentId") {
        Some(Value::String(id)) => Some(id),
        Some(Value::Null) | None => None,
        Some(_) => return Err("`documentId` must be a string".into()),
    };
    let operation_name = match object.remove("operationName") {
        Some(Value::String(name)) => Some(name),
        Some(Value::Null) | None => None,
        Some(_) => return Err("`operationName` must be a string".into()),
    };
    let variables = match object.remove("variables") {
        Some(Value::Object(vars)) => Some(Value::Object(vars)),
        Some(Value::Null) | None => None,
        Some(_) => return Err("`variables` must be an object".into()),
    };
    let hash = match object.remove("extensions") {
        Some(Value::Object(extensions)) => persisted_hash(&extensions)?,
        Some(Value::Null) | None => None,
        Some(_) => return Err("`extensions` must be an object".into()),
    };
    Ok(GraphqlParams {
        document: asked(query, document_id, hash, "the body has no `query`")?,
        operation_name,
        variables,
    })
}

pub(super) fn params_from_query_string(query_string: &str) -> Result<GraphqlParams, String> {
    let mut query = None;
    let mut document_id = None;
    let mut hash = None;
    let mut operation_name = None;
    let mut variables = None;
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        match key.as_ref() {
            "query" => query = Some(value.into_owned()),
            "operationName" if !value.is_empty() => operation_name = Some(value.into_owned()),
            "documentId" if !value.is_empty() => document_id = Some(value.into_owned()),
            "extensions" if !value.is_empty() => {
                match serde_json::from_str(&value)
                    .map_err(|e| format!("`extensions` is not valid JSON: {e}"))?
                {
                    Value::Object(extensions) => hash = persisted_hash(&extensions)?,
                    Value::Null => {}
                    _ => return Err("`extensions` must be a JSON object".into()),
                }
            }
            "variables" if !value.is_empty() => {
                let parsed: Value = serde_json::from_str(&value)
                    .map_err(|e| format!("`variables` is not valid JSON: {e}"))?;
                match parsed {
                    Value::Object(_) => variables = Some(parsed),
                    Value::Null => {}
                    _ => return Err("`variables` must be a JSON object".into()),
                }
            }
            _ => {}
        }
    }
    Ok(GraphqlParams {
        document: asked(
            query,
            document_id,
            hash,
            "the query string has no `query` parameter",
        )?,
        operation_name,
        variables,
    })
}

/// Apollo's `extensions.persistedQuery`: `{ "version": 1, "sha256Hash": "…" }`.
fn persisted_hash(extensions: &Map<String, Value>) -> Result<Option<String>, String> {
    let Some(persisted) = extensions.get("persistedQuery") else {
        return Ok(None);
    };
    if persisted.get("version").and_then(Value::as_u64) != Some(1) {
        return Err("`persistedQuery` must have `version` 1".into());
    }
    match persisted.get("sha256Hash") {
        Some(Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(Some(hash.clone()))
        }
        _ => Err("`persistedQuery.sha256Hash` must be 64 hex digits".into()),
    }
}

/// What the request names as its document: text, a registered id, or an APQ hash (with
/// the text when the client registers it).
fn asked(
    query: Option<String>,
    document_id: Option<String>,
    hash: Option<String>,
    missing: &str,
) -> Result<Asked, String> {
    match (query, document_id, hash) {
        (_, Some(_), Some(_)) => Err("send either `documentId` or a persisted query hash".into()),
        (Some(_), Some(_), None) => Err("send either `query` or `documentId`".into()),
        (text, None, Some(hash)) => Ok(Asked::Hash { hash, text }),
        (None, Some(id), None) => Ok(Asked::Id(id)),
        (Some(text), None, None) => Ok(Asked::Text(text)),
        (None, None, None) => Err(missing.into()),
    }
}

/// Whether the operation a GET would run is a mutation (or a subscription). A document
/// too large or malformed to parse is left to the executor, which reports it.
fn selects_mutation(query: &str, operation_name: Option<&str>, max_tokens: usize) -> bool {
    if count_tokens(query, max_tokens) > max_tokens {
        return false;
    }
    let Ok(document) = parse_query(query) else {
        return false;
    };
    let selected = document
        .operations
        .iter()
        .find(|(name, _)| match operation_name {
            Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
            None => true,
        });
    selected.is_some_and(|(_, op)| op.node.ty != OperationType::Query)
}

/// Whether a document selects `__schema` or `__type` at the root of any operation
/// (through fragments too). Unparsable documents are left to the executor.
fn asks_introspection(query: &str, max_tokens: usize) -> bool {
    if count_tokens(query, max_tokens) > max_tokens {
        return false;
    }
    let Ok(document) = parse_query(query) else {
        return false;
    };
    document
        .operations
        .iter()
        .any(|(_, op)| selects_meta(&document, &op.node.selection_set.node, 0))
}

fn selects_meta(document: &ExecutableDocument, set: &SelectionSet, depth: usize) -> bool {
    // Fragments may (invalidly) spread each other in a cycle; the executor rejects
    // those, so a bounded look is enough here.
    if depth > 16 {
        return false;
    }
    set.items.iter().any(|item| match &item.node {
        Selection::Field(field) => matches!(field.node.name.node.as_str(), "__schema" | "__type"),
        Selection::InlineFragment(inline) => {
            selects_meta(document, &inline.node.selection_set.node, depth + 1)
        }
        Selection::FragmentSpread(spread) => document
            .fragments
            .get(&spread.node.fragment_name.node)
            .is_some_and(|f| selects_meta(document, &f.node.selection_set.node, depth + 1)),
    })
}

pub(super) const PURPOSE: header::HeaderName = header::HeaderName::from_static("x-purpose");
pub(super) const CASE_REF: header::HeaderName = header::HeaderName::from_static("x-case-ref");

pub(super) fn header_str(request: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn bad_request(request: &HttpRequest, message: &str) -> HttpResponse {
    problem(
        request,
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        message,
    )
}

fn too_large(request: &HttpRequest, limit: usize) -> HttpResponse {
    problem(
        request,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        &format!("the request body is larger than {limit} bytes"),
    )
}

fn not_acceptable(request: &HttpRequest) -> HttpResponse {
    problem(
        request,
        StatusCode::NOT_ACCEPTABLE,
        ErrorCode::NotAcceptable,
        "accept application/graphql-response+json or application/json",
    )
}
