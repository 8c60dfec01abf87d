//! Handlers: the bearer token, the knobs, then the search.
// Early answers are whole HTTP responses; they are returned once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::{Value, json};

use super::{ID_CARD_OID, PACKAGE_EXTENSION, Tokens};
use crate::domain::IdNumber;
use crate::sim::knobs::{self, InFlight, KnobHandle, Rejection};
use crate::sim::population::Population;
use crate::sim::stable_number;

type Pop = web::Data<Arc<Population>>;

const FHIR_JSON: &str = "application/fhir+json";

fn fhir(status: StatusCode, body: &Value, garbage: bool) -> HttpResponse {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .body(knobs::maybe_garble(bytes, garbage))
}

fn outcome(status: StatusCode, code: &str, diagnostics: &str) -> HttpResponse {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }],
    });
    fhir(status, &body, false)
}

pub(super) async fn token(
    request: HttpRequest,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(response) = admit(&knobs, "token").await {
        return response;
    }
    let basic = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let client_ok = basic
        .as_deref()
        .and_then(|b| b.split_once(':'))
        .is_some_and(|(id, secret)| {
            id == tokens.auth.client_id && secret == tokens.auth.client_secret
        });
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return HttpResponse::BadRequest().json(json!({ "error": "unsupported_grant_type" }));
    }
    if !client_ok {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    }
    knobs.served(0);
    HttpResponse::Ok().json(json!({
        "access_token": tokens.issue(),
        "token_type": "bearer",
        "expires_in": tokens.auth.token_ttl.as_secs(),
    }))
}

async fn admit(knobs: &KnobHandle, operation: &str) -> Result<InFlight, HttpResponse> {
    knobs
        .admit(operation)
        .await
        .map_err(|rejection| match rejection {
            Rejection::Outage(outage) => knobs::outage_response(outage),
            Rejection::RateLimited { retry_after_secs } => {
                let mut response = outcome(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    "too many requests",
                );
                if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Rejection::Busy => outcome(StatusCode::SERVICE_UNAVAILABLE, "transient", "server busy"),
            Rejection::InjectedError => outcome(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                "internal error",
            ),
        })
}

/// Checks the bearer token, then the knobs.
async fn enter(
    request: &HttpRequest,
    tokens: &Tokens,
    knobs: &KnobHandle,
    operation: &str,
) -> Result<InFlight, HttpResponse> {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !token.is_some_and(|t| tokens.valid(t.trim())) {
        return Err(outcome(
            StatusCode::UNAUTHORIZED,
            "login",
            "a valid bearer token is required",
        ));
    }
    admit(knobs, operation).await
}

/// A patient's logical id: the person's place in the population, so that a CareTeam
/// search by subject finds them at once.
fn patient_id(index: usize) -> String {
    format!("p{index}")
}

fn patient_index(population: &Population, id: &str) -> Option<usize> {
    id.strip_prefix('p')?
        .parse::<usize>()
        .ok()
        .filter(|i| *i < population.people.len())
}

fn searchset(total: usize, resources: Vec<Value>, links: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": resources.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>(),
    })
}

pub(super) async fn patients(
    request: HttpRequest,
    population: Pop,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let guard = match enter(&request, &tokens, &knobs, "Patient").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let Some(value) = query
        .get("identifier")
        .and_then(|i| i.strip_prefix(ID_CARD_OID))
        .and_then(|i| i.strip_prefix('|'))
    else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "search by identifier=urn:oid:2.16.156.10011.1.1|<ID number>",
        );
    };
    let Ok(id) = IdNumber::parse(value) else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "not a resident ID number",
        );
    };
    knobs.served(1);
    let found: Vec<Value> = population
        .find(&id)
        .map(|index| {
            let p = &population.people[index];
            json!({
                "resourceType": "Patient",
                "id": patient_id(index),
                "identifier": [{ "system": ID_CARD_OID, "value": p.id_number.as_str() }],
                "name": [{ "text": p.name.as_str() }],
                "gender": match p.sex { crate::domain::Sex::Male => "male", crate::domain::Sex::Female => "female", _ => "unknown" },
                "birthDate": p.birth_date().format("%Y-%m-%d").to_string(),
                "address": [{ "text": population.address(p) }],
            })
        })
        .into_iter()
        .collect();
    fhir(
        StatusCode::OK,
        &searchset(found.len(), found, Vec::new()),
        guard.garbage,
    )
}

fn care_team(population: &Population, index: usize) -> Option<Value> {
    let person = population.people.get(index)?;
    let facts = person.doctor.as_ref()?;
    let village = population.village_of(person);
    let package = ["BASIC", "ELDERLY", "CHRONIC", "DISABLED"]
        .get(usize::from(facts.package))
        .copied()
        .unwrap_or("BASIC");
    let mut period = json!({ "start": facts.start.format("%Y-%m-%d").to_string() });
    if let (Some(end), Some(map)) = (facts.end, period.as_object_mut()) {
        map.insert("end".into(), json!(end.format("%Y-%m-%d").to_string()));
    }
    Some(json!({
        "resourceType": "CareTeam",
        "id": format!("ct{:012x}", stable_number(&person.id_number, 7) & 0xffff_ffff_ffff),
        "status": if facts.active { "active" } else { "inactive" },
        "category": [{ "coding": [{ "system": "https://health.jl.example/fhir/CodeSystem/care-team-category", "code": "family-doctor" }] }],
        "subject": {
            "reference": format!("Patient/{}", patient_id(index)),
            "identifier": { "system": ID_CARD_OID, "value": person.id_number.as_str() },
        },
        "period": period,
        "participant": [{ "member": { "display": format!("{}村医生{}", village.name, facts.doctor) } }],
        "managingOrganization": [{
            "display": format!("{}卫生室", village.name),
            "identifier": { "value": format!("{}01", village.code) },
        }],
        "extension": [{ "url": PACKAGE_EXTENSION, "valueCoding": { "code": package } }],
    }))
}

pub(super) async fn care_teams(
    request: HttpRequest,
    population: Pop,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let guard = match enter(&request, &tokens, &knobs, "CareTeam").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    if query.get("category").map(String::as_str) != Some("family-doctor") {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "category=family-doctor is required",
        );
    }
    if let Some(subject) = query.get("subject") {
        let index = subject
            .strip_prefix("Patient/")
            .and_then(|pid| patient_index(&population, pid));
        knobs.served(1);
        let found: Vec<Value> = index
            .and_then(|i| care_team(&population, i))
            .into_iter()
            .collect();
        return fhir(
            StatusCode::OK,
            &searchset(found.len(), found, Vec::new()),
            guard.garbage,
        );
    }
    let Some(code) = query.get("subject.address-postalcode") else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            "search by subject or subject.address-postalcode",
        );
    };
    let Some(village) = population.village_index(code) else {
        return fhir(
            StatusCode::OK,
            &searchset(0, Vec::new(), Vec::new()),
            guard.garbage,
        );
    };
    let count = query
        .get("_count")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 500);
    let offset = query
        .get("_getpagesoffset")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);
    let range = population.villages[village].people.clone();
    let all: Vec<Value> = (range.start as usize..range.end as usize)
        .filter_map(|i| care_team(&population, i))
        .collect();
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(count).collect();
    knobs.served(page.len() as u64);
    let info = request.connection_info();
    let base = format!("{}://{}/fhir/CareTeam", info.scheme(), info.host());
    let url = |offset: usize| {
        format!(
            "{base}?subject.address-postalcode={code}&category=family-doctor&_count={count}&_getpagesoffset={offset}"
        )
    };
    let mut links = vec![json!({ "relation": "self", "url": url(offset) })];
    if offset + count < total {
        links.push(json!({ "relation": "next", "url": url(offset + count) }));
    }
    fhir(
        StatusCode::OK,
        &searchset(total, page, links),
        guard.garbage,
    )
}
