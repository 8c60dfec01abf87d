//! Handlers: the signature (window, nonce, HMAC-SM3), the knobs, then the query.
// Early answers are whole HTTP responses; they are returned once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sm3::{Digest, Sm3};

use super::{App, MAX_BATCH, REPLAY_WINDOW_MS};
use crate::domain::IdNumber;
use crate::sim::knobs::{self, InFlight, KnobHandle, Rejection};
use crate::sim::population::{Person, Population};

type Pop = web::Data<Arc<Population>>;

fn answer(status: StatusCode, code: &str, msg: &str, data: Value, garbage: bool) -> HttpResponse {
    let body =
        serde_json::to_vec(&json!({ "code": code, "msg": msg, "data": data })).unwrap_or_default();
    HttpResponse::build(status)
        .content_type("application/json")
        .body(knobs::maybe_garble(body, garbage))
}

fn fail(status: StatusCode, code: &str, msg: &str) -> HttpResponse {
    answer(status, code, msg, Value::Null, false)
}

/// The string the client signed, as this platform builds it.
fn string_to_sign(request: &HttpRequest, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(request.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.sort();
    let sorted: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}\n{}\n{}\n{timestamp}\n{nonce}\n{}",
        request.method().as_str(),
        request.path(),
        sorted.join("&"),
        hex::encode(Sm3::digest(body))
    )
}

/// Checks the signature and the replay window, then the knobs.
async fn enter(
    request: &HttpRequest,
    app: &App,
    knobs: &KnobHandle,
    operation: &str,
    body: &[u8],
) -> Result<InFlight, HttpResponse> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (app_id, timestamp, nonce, sign) = (
        header("appId"),
        header("timestamp"),
        header("nonce"),
        header("sign"),
    );
    let unauthorized = |code: &str, msg: &str| fail(StatusCode::UNAUTHORIZED, code, msg);
    if app_id != app.id || sign.is_empty() {
        return Err(unauthorized("4013", "签名无效"));
    }
    let now = chrono::Utc::now().timestamp_millis();
    let Some(sent) = timestamp
        .parse::<i64>()
        .ok()
        .filter(|t| (now - t).abs() <= REPLAY_WINDOW_MS)
    else {
        return Err(unauthorized("4011", "时间戳超出允许范围"));
    };
    if !(16..=32).contains(&nonce.len()) {
        return Err(unauthorized("4013", "签名无效"));
    }
    let Ok(mut mac) = Hmac::<Sm3>::new_from_slice(app.secret.as_bytes()) else {
        return Err(unauthorized("4013", "签名无效"));
    };
    mac.update(string_to_sign(request, &timestamp, &nonce, body).as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    if expected != sign.to_ascii_lowercase() {
        return Err(unauthorized("4013", "签名无效"));
    }
    {
        let mut nonces = app.nonces.lock().unwrap_or_else(|e| e.into_inner());
        nonces.retain(|_, at| (now - *at).abs() <= REPLAY_WINDOW_MS);
        if nonces.insert(nonce, sent).is_some() {
            return Err(unauthorized("4012", "重复的请求"));
        }
    }
    knobs
        .admit(operation)
        .await
        .map_err(|rejection| match rejection {
            Rejection::Outage(outage) => knobs::outage_response(outage),
            Rejection::RateLimited { retry_after_secs } => {
                let mut response = fail(StatusCode::TOO_MANY_REQUESTS, "4290", "请求过于频繁");
                if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Rejection::Busy => fail(StatusCode::SERVICE_UNAVAILABLE, "5030", "系统繁忙"),
            Rejection::InjectedError => fail(StatusCode::INTERNAL_SERVER_ERROR, "5000", "系统异常"),
        })
}

fn record(population: &Population, person: &Person) -> Option<Value> {
    let facts = person.poverty.as_ref()?;
    let day = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();
    Some(json!({
        "idCard": person.id_number.as_str(),
        "name": person.name.as_str(),
        "householdNo": population.household_number(person.household as usize),
        "kind": facts.kind.to_string(),
        "riskType": facts.risk.map(|r| r.to_string()),
        "riskEliminated": facts.eliminated.is_some(),
        "eliminatedOn": facts.eliminated.map(day),
        "assistance": facts.assistance.iter().map(|(kind, since)| json!({ "type": kind, "since": day(*since) })).collect::<Vec<_>>(),
        "employment": { "status": facts.work },
    }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Query {
    id_cards: Vec<String>,
}

pub(super) async fn query(
    request: HttpRequest,
    population: Pop,
    app: web::Data<App>,
    knobs: web::Data<KnobHandle>,
    body: web::Bytes,
) -> HttpResponse {
    let guard = match enter(&request, &app, &knobs, "query", &body).await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let Ok(asked) = serde_json::from_slice::<Query>(&body) else {
        return fail(StatusCode::BAD_REQUEST, "4000", "请求报文格式错误");
    };
    if asked.id_cards.is_empty() || asked.id_cards.len() > MAX_BATCH {
        return fail(StatusCode::BAD_REQUEST, "4000", "idCards 须为1至50个");
    }
    knobs.served(asked.id_cards.len() as u64);
    let mut records = Vec::new();
    let mut not_found = Vec::new();
    for text in &asked.id_cards {
        match IdNumber::parse(text)
            .ok()
            .and_then(|id| population.person(&id))
            .and_then(|p| record(&population, p))
        {
            Some(found) => records.push(found),
            None => not_found.push(text.clone()),
        }
    }
    answer(
        StatusCode::OK,
        "0",
        "success",
        json!({ "records": records, "notFound": not_found }),
        guard.garbage,
    )
}

pub(super) async fn households(
    request: HttpRequest,
    population: Pop,
    app: web::Data<App>,
    knobs: web::Data<KnobHandle>,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let guard = match enter(&request, &app, &knobs, "households", b"").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let number = |name: &str, default: usize| match query.get(name) {
        None => Some(default),
        Some(t) => t.trim().parse::<usize>().ok(),
    };
    let (Some(offset), Some(limit)) = (number("offset", 0), number("limit", 100)) else {
        return fail(StatusCode::BAD_REQUEST, "4000", "分页参数错误");
    };
    if !(1..=200).contains(&limit) {
        return fail(StatusCode::BAD_REQUEST, "4000", "limit 须为1至200");
    }
    let Some(village) = population.village_index(&path) else {
        return fail(StatusCode::NOT_FOUND, "4040", "行政区划不存在");
    };
    let range = population.villages[village].households.clone();
    let listed: Vec<Value> = (range.start as usize..range.end as usize)
        .filter_map(|h| {
            let members: Vec<Value> = population
                .household_members(h)
                .iter()
                .filter_map(|p| record(&population, p))
                .collect();
            (!members.is_empty()).then(
                || json!({ "householdNo": population.household_number(h), "members": members }),
            )
        })
        .collect();
    let total = listed.len();
    let page: Vec<Value> = listed.into_iter().skip(offset).take(limit).collect();
    knobs.served(page.len() as u64);
    answer(
        StatusCode::OK,
        "0",
        "success",
        json!({ "total": total, "households": page }),
        guard.garbage,
    )
}
