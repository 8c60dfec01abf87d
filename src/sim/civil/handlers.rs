//! The two operations and the faults.

use std::fmt::Write;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::wire::{self, NAMESPACE};
use crate::domain::IdNumber;
use crate::sim::knobs::{self, KnobHandle, Rejection};
use crate::sim::population::{
    Assistance, AssistanceStatus, NameSource, Population, Programme, YearMonth,
};
use crate::sim::yuan;

const CONTENT_TYPE: &str = "text/xml; charset=GBK";
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 200;

fn respond(status: StatusCode, xml: &str, garbage: bool) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(CONTENT_TYPE)
        .body(knobs::maybe_garble(wire::encode(xml), garbage))
}

fn fault(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    respond(status, &wire::fault(code, message), false)
}

pub(super) async fn service(
    request: HttpRequest,
    population: web::Data<Arc<Population>>,
    knobs: web::Data<KnobHandle>,
    body: web::Bytes,
) -> HttpResponse {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let call = wire::parse(&wire::decode(&body, content_type));
    let operation = call.as_ref().map_or("invalid", |c| c.operation.as_str());
    let guard = match knobs.admit(operation).await {
        Ok(guard) => guard,
        Err(Rejection::Outage(outage)) => return knobs::outage_response(outage),
        Err(Rejection::RateLimited { retry_after_secs }) => {
            let mut response = fault(
                StatusCode::TOO_MANY_REQUESTS,
                "Server",
                "服务繁忙，请求过于频繁，请稍后再试",
            );
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Err(Rejection::Busy) => {
            let mut response = fault(
                StatusCode::SERVICE_UNAVAILABLE,
                "Server",
                "服务繁忙，请稍后再试",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return response;
        }
        Err(Rejection::InjectedError) => {
            return fault(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Server",
                "数据库连接失败，请联系系统管理员",
            );
        }
    };
    let call = match call {
        Ok(call) => call,
        Err(message) => return fault(StatusCode::INTERNAL_SERVER_ERROR, "Client", &message),
    };
    let result = match call.operation.as_str() {
        "QueryAssistanceByIdCard" => by_id_card(&population, call.params.get("IdCard")),
        "QueryAssistanceByVillage" => by_village(
            &population,
            call.params.get("VillageCode"),
            call.params.get("PageNo"),
            call.params.get("PageSize"),
        ),
        other => Err(format!("未知的操作：{other}")),
    };
    match result {
        Ok((persons, xml)) => {
            knobs.served(persons);
            respond(StatusCode::OK, &xml, guard.garbage)
        }
        Err(message) => fault(StatusCode::INTERNAL_SERVER_ERROR, "Client", &message),
    }
}

fn programme(p: Programme) -> (&'static str, &'static str) {
    match p {
        Programme::Dibao => ("01", "最低生活保障"),
        Programme::ExtremelyPoor => ("02", "特困人员救助供养"),
        Programme::Temporary => ("03", "临时救助"),
        Programme::DisabilityLiving => ("04", "困难残疾人生活补贴"),
        Programme::SevereDisabilityNursing => ("05", "重度残疾人护理补贴"),
        Programme::OldAgeAllowance => ("06", "高龄津贴"),
        Programme::ChildInDifficulty => ("07", "困境儿童"),
    }
}

fn month(value: YearMonth) -> String {
    format!("{:04}-{:02}", value.year, value.month)
}

fn record(out: &mut String, population: &Population, index: usize, a: &Assistance) {
    let person = &population.people[index];
    let (code, name) = programme(a.programme);
    let (status, status_name) = match a.status {
        AssistanceStatus::InPayment => ("1", "享受中"),
        AssistanceStatus::Suspended => ("2", "暂停"),
        AssistanceStatus::Ended => ("3", "终止"),
    };
    let stored_name = population.department_name(index, NameSource::Civil);
    let _ = write!(
        out,
        "<Record><IdCard>{}</IdCard><Name>{}</Name><VillageCode>{}</VillageCode>\
<ProgrammeCode>{code}</ProgrammeCode><ProgrammeName>{name}</ProgrammeName>\
<Status>{status}</Status><StatusName>{status_name}</StatusName>\
<MonthlyAmount>{}</MonthlyAmount><StartMonth>{}</StartMonth><EndMonth>{}</EndMonth>\
<HouseholdSize>{}</HouseholdSize><DisabilityCategory>{}</DisabilityCategory>\
<DisabilityGrade>{}</DisabilityGrade></Record>",
        person.id_number,
        wire::escape(&stored_name),
        population.village_of(person).code,
        yuan(a.monthly_cents),
        month(a.start),
        a.end.map(month).unwrap_or_default(),
        a.household_size,
        a.disability
            .map(|d| d.category.to_string())
            .unwrap_or_default(),
        a.disability
            .map(|d| d.grade.to_string())
            .unwrap_or_default(),
    );
}

fn response(operation: &str, header: &str, records: &str) -> String {
    wire::envelope(&format!(
        "<ns:{operation}Response xmlns:ns=\"{NAMESPACE}\"><ResultCode>0</ResultCode>\
<ResultMessage>成功</ResultMessage>{header}<Records>{records}</Records></ns:{operation}Response>"
    ))
}

fn by_id_card(population: &Population, id: Option<&String>) -> Result<(u64, String), String> {
    let text = id.ok_or("缺少参数IdCard")?;
    let id = IdNumber::parse(text).map_err(|e| format!("身份证号码不合法：{e}"))?;
    let mut records = String::new();
    let mut count = 0;
    if let Some(index) = population.find(&id) {
        for a in population.people[index].assistance.iter() {
            record(&mut records, population, index, a);
            count += 1;
        }
    }
    let header = format!("<Total>{count}</Total>");
    Ok((1, response("QueryAssistanceByIdCard", &header, &records)))
}

fn number(value: Option<&String>, default: usize, name: &str) -> Result<usize, String> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("参数{name}必须为正整数：{text}")),
    }
}

fn by_village(
    population: &Population,
    code: Option<&String>,
    page_no: Option<&String>,
    page_size: Option<&String>,
) -> Result<(u64, String), String> {
    let code = code.map(|c| c.trim()).ok_or("缺少参数VillageCode")?;
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("村（社区）代码必须为12位数字：{code}"));
    }
    let village = population
        .village_index(code)
        .map(|i| &population.villages[i])
        .ok_or_else(|| format!("村（社区）代码不存在：{code}"))?;
    let page = number(page_no, 1, "PageNo")?;
    let size = number(page_size, DEFAULT_PAGE_SIZE, "PageSize")?;
    if size > MAX_PAGE_SIZE {
        return Err(format!("参数PageSize不得超过{MAX_PAGE_SIZE}"));
    }
    let skip = (page - 1).saturating_mul(size);
    let mut total = 0usize;
    let mut records = String::new();
    for index in village.people.start as usize..village.people.end as usize {
        for a in population.people[index].assistance.iter() {
            if total >= skip && total < skip + size {
                record(&mut records, population, index, a);
            }
            total += 1;
        }
    }
    let header =
        format!("<Total>{total}</Total><PageNo>{page}</PageNo><PageSize>{size}</PageSize>");
    Ok((0, response("QueryAssistanceByVillage", &header, &records)))
}
