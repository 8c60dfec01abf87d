//! Token issue, bearer checks, and the register queries.

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::tokens::Tokens;
use super::wire::*;
use crate::domain::{IdNumber, RegionCode};
use crate::sim::knobs::{self, InFlight, KnobHandle, Rejection};
use crate::sim::population::{CardValidity, Population, Registration};

type Pop = web::Data<Arc<Population>>;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

fn json<T: Serialize>(status: StatusCode, value: &T, garbage: bool) -> HttpResponse {
    let body = serde_json::to_vec(value).unwrap_or_default();
    HttpResponse::build(status)
        .content_type("application/json;charset=UTF-8")
        .body(knobs::maybe_garble(body, garbage))
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> HttpResponse {
    json(
        status,
        &ApiError {
            code,
            message: message.into(),
        },
        false,
    )
}

fn rejection(rejection: Rejection) -> HttpResponse {
    match rejection {
        Rejection::Outage(outage) => knobs::outage_response(outage),
        Rejection::RateLimited { retry_after_secs } => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "请求过于频繁，请稍后再试",
            );
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Rejection::Busy => {
            let mut response = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "BUSY",
                "系统繁忙，请稍后再试",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            response
        }
        Rejection::InjectedError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "系统内部错误",
        ),
    }
}

fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> HttpResponse {
    let mut response = json(
        status,
        &OAuthError {
            error,
            error_description: description.to_owned(),
        },
        false,
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"hjxx\""),
        );
    }
    response
}

/// Client id and secret from HTTP Basic, if sent.
fn basic_credentials(request: &HttpRequest) -> Option<(String, String)> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

pub(super) async fn token(
    request: HttpRequest,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    body: web::Bytes,
) -> HttpResponse {
    let guard = match knobs.admit("token").await {
        Ok(g) => g,
        Err(r) => return rejection(r),
    };
    let Ok(form) = serde_urlencoded_form(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "请求体须为application/x-www-form-urlencoded",
        );
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "仅支持grant_type=client_credentials",
        );
    }
    let credentials = basic_credentials(&request).or(match (form.client_id, form.client_secret) {
        (Some(id), Some(secret)) => Some((id, secret)),
        _ => None,
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "缺少客户端凭证");
    };
    if !tokens.client_ok(&id, &secret) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "客户端凭证无效");
    }
    knobs.served(0);
    let response = TokenResponse {
        access_token: tokens.issue(),
        token_type: "Bearer",
        expires_in: tokens.auth().token_ttl.as_secs().max(1),
        scope: "hjxx",
    };
    let mut response = json(StatusCode::OK, &response, guard.garbage);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn serde_urlencoded_form(body: &[u8]) -> Result<TokenForm, ()> {
    let text = std::str::from_utf8(body).map_err(|_| ())?;
    let mut form = TokenForm {
        grant_type: None,
        client_id: None,
        client_secret: None,
    };
    for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
        match key.as_ref() {
            "grant_type" => form.grant_type = Some(value.into_owned()),
            "client_id" => form.client_id = Some(value.into_owned()),
            "client_secret" => form.client_secret = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(form)
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
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized = |description: &'static str, message: &str| {
        let mut response = error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message);
        let value = format!(
            "Bearer realm=\"hjxx\", error=\"invalid_token\", error_description=\"{description}\""
        );
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    match token {
        None | Some("") => return Err(unauthorized("missing token", "缺少访问令牌")),
        Some(token) if !tokens.valid(token) => {
            return Err(unauthorized(
                "token expired or unknown",
                "访问令牌无效或已过期",
            ));
        }
        Some(_) => {}
    }
    knobs.admit(operation).await.map_err(rejection)
}

fn ry(population: &Population, index: usize) -> Ry {
    let person = &population.people[index];
    let village = population.village_of(person);
    let date = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();
    let (hjzt, swrq, qcrq) = match person.registration {
        Registration::Normal => ("1", None, None),
        Registration::MovedOut(d) => ("2", None, Some(date(d))),
        Registration::Deceased(d) => ("3", Some(date(d)), None),
    };
    Ry {
        sfzh: person.id_number.to_string(),
        xm: person.name.to_string(),
        xb: person.sex.code(),
        mz: person.ethnicity.code(),
        csrq: date(person.birth_date()),
        hh: population.household_number(person.household as usize),
        yhzgx: person.relationship.code(),
        hjdz: population.address(person),
        cjdm: village.code.to_string(),
        hjzt,
        swrq,
        qcrq,
        sfzyxqz: match person.card {
            CardValidity::NoCard => None,
            CardValidity::LongTerm => Some("长期".into()),
            CardValidity::Until(d) => Some(date(d)),
        },
        lxdh: (person.phone != 0).then(|| person.phone.to_string()),
    }
}

pub(super) async fn person(
    request: HttpRequest,
    population: Pop,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    query: web::Query<PersonQuery>,
) -> HttpResponse {
    let guard = match enter(&request, &tokens, &knobs, "persons").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let Some(text) = query.sfzh.as_deref() else {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "缺少参数sfzh");
    };
    let id = match IdNumber::parse(text) {
        Ok(id) => id,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("身份证号码不合法：{e}"),
            );
        }
    };
    knobs.served(1);
    match population.find(&id) {
        Some(index) => json(StatusCode::OK, &ry(&population, index), guard.garbage),
        None => error(StatusCode::NOT_FOUND, "NOT_FOUND", "未查询到该人员户籍信息"),
    }
}

pub(super) async fn household(
    request: HttpRequest,
    population: Pop,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    path: web::Path<String>,
) -> HttpResponse {
    let guard = match enter(&request, &tokens, &knobs, "households").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let number = path.into_inner();
    if number.len() != 16 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("户号须为16位数字：{number}"),
        );
    }
    let Some(index) = population.household_by_number(&number) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "未查询到该户信息");
    };
    let Some(h) = population.households.get(index) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "未查询到该户信息");
    };
    let cys: Vec<Ry> = (h.people.start as usize..h.people.end as usize)
        .map(|i| ry(&population, i))
        .collect();
    knobs.served(cys.len() as u64);
    let first = &population.people[h.people.start as usize];
    let hu = Hu {
        hh: number,
        hjdz: population.address(first),
        cjdm: population.villages[h.village as usize].code.to_string(),
        hzxm: first.name.to_string(),
        cys,
    };
    json(StatusCode::OK, &hu, guard.garbage)
}

fn cursor_for(code: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{code}:{offset}"))
}

fn offset_from(cursor: &str, code: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("v1:")?;
    let (cursor_code, offset) = rest.split_once(':')?;
    (cursor_code == code).then_some(())?;
    offset.parse().ok()
}

pub(super) async fn village_persons(
    request: HttpRequest,
    population: Pop,
    tokens: web::Data<Tokens>,
    knobs: web::Data<KnobHandle>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let guard = match enter(&request, &tokens, &knobs, "villagePersons").await {
        Ok(g) => g,
        Err(response) => return response,
    };
    let code = path.into_inner();
    let scope = match RegionCode::parse(&code) {
        Ok(scope) if matches!(code.len(), 6 | 9 | 12) => scope,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("区划代码须为6位（县）、9位（乡镇）或12位（村居）数字：{code}"),
            );
        }
    };
    let limit = match query.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    format!("limit须为1到{MAX_LIMIT}之间的整数"),
                );
            }
        },
    };
    let range = population.people_in(&scope);
    if range.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("区划代码不存在或无户籍人员：{code}"),
        );
    }
    let offset = match query.cursor.as_deref().filter(|c| !c.trim().is_empty()) {
        None => 0,
        Some(cursor) => match offset_from(cursor, scope.as_str()) {
            Some(offset) if offset <= range.len() => offset,
            _ => return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "cursor无效"),
        },
    };
    let start = range.start + offset;
    let end = (start + limit).min(range.end);
    let items: Vec<Ry> = (start..end).map(|i| ry(&population, i)).collect();
    knobs.served(items.len() as u64);
    let next_cursor = (end < range.end).then(|| cursor_for(scope.as_str(), end - range.start));
    json(
        StatusCode::OK,
        &Page {
            items,
            next_cursor,
            total: range.len(),
        },
        guard.garbage,
    )
}
