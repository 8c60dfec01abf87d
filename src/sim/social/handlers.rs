//! Handlers: the API key, the knobs, then the query.
// Early answers are whole HTTP responses; they are returned once per request.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::wire::*;
use super::{ApiKey, MAX_BATCH};
use crate::domain::IdNumber;
use crate::sim::knobs::{self, InFlight, KnobHandle, Rejection};
use crate::sim::population::{
    ContributionStatus, Employment, NameSource, PensionScheme, Population, YearMonth,
};
use crate::sim::stable_number;

type Pop = web::Data<Arc<Population>>;

fn envelope<T: Serialize>(
    status: StatusCode,
    code: &'static str,
    message: &str,
    data: Option<T>,
    garbage: bool,
) -> HttpResponse {
    let body = serde_json::to_vec(&Envelope {
        code,
        message: message.to_owned(),
        data,
    })
    .unwrap_or_default();
    HttpResponse::build(status)
        .content_type("application/json;charset=UTF-8")
        .body(knobs::maybe_garble(body, garbage))
}

fn fail(status: StatusCode, code: &'static str, message: &str) -> HttpResponse {
    envelope::<()>(status, code, message, None, false)
}

/// Checks the key, then the knobs.
async fn enter(
    request: &HttpRequest,
    knobs: &KnobHandle,
    operation: &str,
) -> Result<InFlight, HttpResponse> {
    let expected = request.app_data::<web::Data<ApiKey>>().map(|k| k.0.clone());
    match request
        .headers()
        .get("X-Api-Key")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None | Some("") => {
            return Err(fail(
                StatusCode::UNAUTHORIZED,
                "1001",
                "缺少访问凭证X-Api-Key",
            ));
        }
        Some(key) if Some(key) != expected.as_deref() => {
            return Err(fail(
                StatusCode::FORBIDDEN,
                "1002",
                "访问凭证无效或无权访问",
            ));
        }
        Some(_) => {}
    }
    knobs
        .admit(operation)
        .await
        .map_err(|rejection| match rejection {
            Rejection::Outage(outage) => knobs::outage_response(outage),
            Rejection::RateLimited { retry_after_secs } => {
                let mut response = fail(
                    StatusCode::TOO_MANY_REQUESTS,
                    "1429",
                    "请求过于频繁，请稍后再试",
                );
                if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Rejection::Busy => {
                let mut response = fail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "1503",
                    "系统繁忙，请稍后再试",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                response
            }
            Rejection::InjectedError => {
                fail(StatusCode::INTERNAL_SERVER_ERROR, "9999", "系统内部错误")
            }
        })
}

fn ym(value: YearMonth) -> String {
    format!("{:04}{:02}", value.year, value.month)
}

fn scheme_code(scheme: PensionScheme) -> &'static str {
    match scheme {
        PensionScheme::Enterprise => "110",
        PensionScheme::Institution => "120",
        PensionScheme::Resident => "170",
    }
}

/// The person's insurances, or `None` when the platform has no record.
fn person_insurances(population: &Population, id: &IdNumber) -> Option<PersonInsurances> {
    let index = population.find(id)?;
    let person = &population.people[index];
    let social = person.social?;
    let status = match social.status {
        ContributionStatus::Paying => "1",
        ContributionStatus::Suspended => "2",
        ContributionStatus::Terminated => "3",
    };
    let mut list = vec![Insurance {
        aae140: scheme_code(social.scheme),
        aac031: status,
        aae030: ym(social.start),
        aae031: social.end.map(ym),
    }];
    if social.employee_extras {
        for aae140 in ["210", "410"] {
            list.push(Insurance {
                aae140,
                aac031: status,
                aae030: ym(social.start),
                aae031: social.end.map(ym),
            });
        }
    }
    let aic = social.pension.map(|p| Aic {
        aae140: scheme_code(social.scheme),
        aic166: f64::from(p.monthly_cents) / 100.0,
        aic160: ym(p.start),
        aae116: if p.in_payment { "1" } else { "2" },
        aic161: p.stopped.map(ym),
        last_cert_date: p.last_cert.format("%Y-%m-%d").to_string(),
    });
    Some(PersonInsurances {
        aac001: format!("{:010}", stable_number(id, 2) % 10_000_000_000),
        aac002: id.to_string(),
        aac003: population
            .department_name(index, NameSource::Social)
            .into_owned(),
        aac004: person.sex.code(),
        aac006: person.birth_date().format("%Y%m%d").to_string(),
        list,
        aic,
        page: None,
        page_size: None,
        total: None,
    })
}

/// Reads `page` and `pageSize` (defaults 1 and 20, at most 100).
fn paging(query: &Paging) -> Result<(usize, usize), HttpResponse> {
    let parse = |value: &Option<String>, default: usize| match value {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or(()),
    };
    match (parse(&query.page, 1), parse(&query.page_size, 20)) {
        (Ok(page), Ok(size)) if size <= 100 => Ok((page, size)),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            "3002",
            "分页参数错误：page≥1，1≤pageSize≤100",
        )),
    }
}

fn parse_id(text: &str) -> Result<IdNumber, HttpResponse> {
    IdNumber::parse(text).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "3003",
            &format!("公民身份号码[aac002]不合法：{e}"),
        )
    })
}

pub(super) async fn insurances(
    request: HttpRequest,
    population: Pop,
    knobs: web::Data<KnobHandle>,
    path: web::Path<String>,
    query: web::Query<Paging>,
) -> HttpResponse {
    let guard = match enter(&request, &knobs, "insurances").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let id = match parse_id(&path) {
        Ok(id) => id,
        Err(response) => return response,
    };
    knobs.served(1);
    match person_insurances(&population, &id) {
        None => fail(StatusCode::OK, "2001", "未查询到该人员参保信息"),
        Some(mut data) => {
            let total = data.list.len();
            data.list = data
                .list
                .into_iter()
                .skip((page - 1).saturating_mul(size))
                .take(size)
                .collect();
            data.page = Some(page);
            data.page_size = Some(size);
            data.total = Some(total);
            envelope(StatusCode::OK, "0000", "成功", Some(data), guard.garbage)
        }
    }
}

pub(super) async fn batch_query(
    request: HttpRequest,
    population: Pop,
    knobs: web::Data<KnobHandle>,
    body: web::Bytes,
) -> HttpResponse {
    let guard = match enter(&request, &knobs, "batchQuery").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                StatusCode::BAD_REQUEST,
                "3000",
                &format!("请求报文格式错误：{e}"),
            );
        }
    };
    if batch.aac002.is_empty() {
        return fail(StatusCode::BAD_REQUEST, "3001", "aac002不能为空");
    }
    if batch.aac002.len() > MAX_BATCH {
        return fail(
            StatusCode::BAD_REQUEST,
            "3001",
            &format!(
                "单次查询人数不得超过{MAX_BATCH}，本次{}",
                batch.aac002.len()
            ),
        );
    }
    let mut ids = Vec::with_capacity(batch.aac002.len());
    for text in &batch.aac002 {
        match parse_id(text) {
            Ok(id) => ids.push(id),
            Err(response) => return response,
        }
    }
    knobs.served(ids.len() as u64);
    let mut data = BatchData {
        list: Vec::new(),
        not_found: Vec::new(),
        total: 0,
    };
    for id in ids {
        match person_insurances(&population, &id) {
            Some(person) => data.list.push(person),
            None => data.not_found.push(id.to_string()),
        }
    }
    data.total = data.list.len();
    envelope(StatusCode::OK, "0000", "成功", Some(data), guard.garbage)
}

const COURSES: [&str; 6] = [
    "电工",
    "焊工",
    "中式烹调师",
    "养老护理员",
    "农业技术员",
    "电子商务师",
];

pub(super) async fn employment(
    request: HttpRequest,
    population: Pop,
    knobs: web::Data<KnobHandle>,
    path: web::Path<String>,
    query: web::Query<Paging>,
) -> HttpResponse {
    let guard = match enter(&request, &knobs, "employment").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let (page, size) = match paging(&query) {
        Ok(p) => p,
        Err(response) => return response,
    };
    let id = match parse_id(&path) {
        Ok(id) => id,
        Err(response) => return response,
    };
    knobs.served(1);
    let found = population
        .find(&id)
        .and_then(|i| population.people[i].social.map(|s| (i, s)));
    let Some((index, social)) = found else {
        return fail(StatusCode::OK, "2001", "未查询到该人员就业登记信息");
    };
    let (status, status_name) = match social.employment {
        Employment::NotRegistered => ("0", "未登记"),
        Employment::Employed => ("1", "就业"),
        Employment::RegisteredUnemployed => ("2", "登记失业"),
        Employment::InTraining => ("3", "培训中"),
    };
    let seed = stable_number(&id, 3);
    let year = population
        .options
        .today
        .format("%Y")
        .to_string()
        .parse::<u32>()
        .unwrap_or(2026);
    let trainings: Vec<Training> = (0..u64::from(social.trainings))
        .map(|n| {
            let y = year - 1 - (n as u32);
            let month = 3 + ((seed >> (n * 4)) % 6) as u32;
            let ongoing = n == 0 && social.employment == Employment::InTraining;
            Training {
                course: COURSES[((seed >> (n * 8)) % COURSES.len() as u64) as usize],
                aae030: format!("{:04}{:02}", if ongoing { year } else { y }, month.min(12)),
                aae031: format!(
                    "{:04}{:02}",
                    if ongoing { year } else { y },
                    (month + 2).min(12)
                ),
                result: if ongoing { "在训" } else { "合格" },
            }
        })
        .collect();
    let total = trainings.len();
    let person = &population.people[index];
    let data = EmploymentData {
        aac001: format!(
            "{:010}",
            stable_number(&person.id_number, 2) % 10_000_000_000
        ),
        aac002: id.to_string(),
        aac003: population
            .department_name(index, NameSource::Social)
            .into_owned(),
        status,
        status_name,
        trainings: trainings
            .into_iter()
            .skip((page - 1).saturating_mul(size))
            .take(size)
            .collect(),
        page,
        page_size: size,
        total,
    };
    envelope(StatusCode::OK, "0000", "成功", Some(data), guard.garbage)
}
