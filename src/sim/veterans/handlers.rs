//! Handlers: the key, the knobs, then the query.
// Early answers are whole HTTP responses; they are returned once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::{Config, MAX_PAGE_SIZE};
use crate::domain::IdNumber;
use crate::sim::knobs::{self, InFlight, KnobHandle, Rejection};
use crate::sim::population::{CardState, Person, Population};
use crate::sim::stable_number;

type Pop = web::Data<Arc<Population>>;

/// The envelope, its keys spelled as the dialect says.
fn envelope(
    config: &Config,
    http: StatusCode,
    status: u16,
    msg: &str,
    result: Value,
    garbage: bool,
) -> HttpResponse {
    let body = json!({ "status": status, "msg": msg, "result": result });
    let body = serde_json::to_vec(&rename(&config.dialect.renames, body)).unwrap_or_default();
    HttpResponse::build(http)
        .content_type("application/json;charset=UTF-8")
        .body(knobs::maybe_garble(body, garbage))
}

fn fail(config: &Config, http: StatusCode, status: u16, msg: &str) -> HttpResponse {
    envelope(config, http, status, msg, Value::Null, false)
}

/// Renames every object key the dialect lists.
fn rename(renames: &std::collections::BTreeMap<String, String>, value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = renames.get(&k).cloned().unwrap_or(k);
                    (key, rename(renames, v))
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| rename(renames, v)).collect())
        }
        other => other,
    }
}

/// Checks the key, then the knobs.
async fn enter(
    request: &HttpRequest,
    config: &Config,
    knobs: &KnobHandle,
    operation: &str,
) -> Result<InFlight, HttpResponse> {
    let sent = request
        .headers()
        .get(config.dialect.key_header.as_str())
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sent.is_empty() || sent != config.key {
        return Err(fail(
            config,
            StatusCode::UNAUTHORIZED,
            401,
            "应用密钥缺失或无效",
        ));
    }
    knobs
        .admit(operation)
        .await
        .map_err(|rejection| match rejection {
            Rejection::Outage(outage) => knobs::outage_response(outage),
            Rejection::RateLimited { retry_after_secs } => {
                let mut response = fail(config, StatusCode::TOO_MANY_REQUESTS, 429, "请求过于频繁");
                if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Rejection::Busy => fail(config, StatusCode::OK, 503, "系统繁忙，请稍后再试"),
            Rejection::InjectedError => {
                fail(config, StatusCode::INTERNAL_SERVER_ERROR, 500, "系统异常")
            }
        })
}

/// A person's record as the platform holds it.
fn record(person: &Person, date_format: &str) -> Option<Value> {
    let facts = person.veteran.as_ref()?;
    let date = |d: chrono::NaiveDate| d.format(date_format).to_string();
    let (status, card_no, issued_on) = match facts.card {
        CardState::Issued(on) => (
            "ISSUED",
            Some(format!(
                "JL{:010}",
                stable_number(&person.id_number, 5) % 10_000_000_000
            )),
            Some(date(on)),
        ),
        CardState::Applied => ("APPLIED", None, None),
        CardState::None => ("NONE", None, None),
    };
    Some(json!({
        "idCard": person.id_number.as_str(),
        "name": person.name.as_str(),
        "category": format!("{:02}", facts.category),
        "disabilityLevel": facts.disability_level,
        "dischargeYear": facts.discharge_year,
        "preferentialCard": { "status": status, "cardNo": card_no, "issuedOn": issued_on },
        "inDifficulty": facts.in_difficulty,
        "lastVisitOn": facts.last_visit.map(date),
        "deceased": facts.deceased,
    }))
}

pub(super) async fn person(
    request: HttpRequest,
    population: Pop,
    config: web::Data<Config>,
    knobs: web::Data<KnobHandle>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let guard = match enter(&request, &config, &knobs, "person").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let Some(id) = query
        .get(&config.dialect.id_param)
        .and_then(|t| IdNumber::parse(t).ok())
    else {
        return fail(&config, StatusCode::OK, 422, "身份证号码格式错误");
    };
    knobs.served(1);
    match population
        .person(&id)
        .and_then(|p| record(p, &config.dialect.date_format))
    {
        Some(found) => envelope(&config, StatusCode::OK, 200, "ok", found, guard.garbage),
        None => fail(&config, StatusCode::OK, 404, "未查询到该人员"),
    }
}

pub(super) async fn village(
    request: HttpRequest,
    population: Pop,
    config: web::Data<Config>,
    knobs: web::Data<KnobHandle>,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let guard = match enter(&request, &config, &knobs, "village").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let number = |name: &str, default: usize| match query.get(name) {
        None => Some(default),
        Some(t) => t.trim().parse::<usize>().ok().filter(|n| *n >= 1),
    };
    let dialect = &config.dialect;
    let (Some(page), Some(size)) = (
        number(&dialect.page_param, 1),
        number(&dialect.size_param, 50),
    ) else {
        return fail(&config, StatusCode::OK, 422, "分页参数错误");
    };
    if size > MAX_PAGE_SIZE {
        return fail(&config, StatusCode::OK, 422, "每页最多200条");
    }
    let Some(village) = population.village_index(&path) else {
        return fail(&config, StatusCode::OK, 404, "行政区划不存在");
    };
    let range = population.villages[village].people.clone();
    let all: Vec<Value> = population.people[range.start as usize..range.end as usize]
        .iter()
        .filter_map(|p| record(p, &dialect.date_format))
        .collect();
    let total = all.len();
    let list: Vec<Value> = all
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    knobs.served(list.len() as u64);
    let mut result = json!({ "list": list, "pageNum": page, "pageSize": size, "total": total });
    if dialect.pages
        && let Some(map) = result.as_object_mut()
    {
        map.insert("pages".into(), json!(total.div_ceil(size)));
    }
    envelope(&config, StatusCode::OK, 200, "ok", result, guard.garbage)
}
