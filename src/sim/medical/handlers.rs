//! Transaction dispatch and 1101 (person information).

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use chrono::{Local, NaiveDate};
use serde::Deserialize;

use super::wire::*;
use crate::domain::IdNumber;
use crate::sim::knobs::{self, KnobHandle, Rejection};
use crate::sim::population::{
    AssistanceStatus, InsuranceStatus, MedicalScheme, NameSource, Population, Programme,
};

const TIME: &str = "%Y-%m-%d %H:%M:%S";

fn now() -> String {
    Local::now().format(TIME).to_string()
}

fn failure(received: &str, refmsgid: String, message: impl Into<String>) -> Response {
    Response {
        infcode: -1,
        inf_refmsgid: refmsgid,
        refmsg_time: received.to_owned(),
        respond_time: now(),
        err_msg: Some(message.into()),
        output: None,
    }
}

fn json(response: &Response, garbage: bool) -> HttpResponse {
    let body = serde_json::to_vec(response).unwrap_or_default();
    HttpResponse::Ok()
        .content_type("application/json;charset=UTF-8")
        .body(knobs::maybe_garble(body, garbage))
}

pub(super) async fn call_service(
    population: web::Data<Arc<Population>>,
    knobs: web::Data<KnobHandle>,
    body: web::Bytes,
) -> HttpResponse {
    let received = now();
    let refmsgid = format!(
        "220000{}{:06}",
        Local::now().format("%Y%m%d%H%M%S"),
        knobs.next_sequence() % 1_000_000
    );
    // One parse: a syntax error means the body is not JSON at all, which the platform's
    // gateway refuses before any transaction; a JSON body of the wrong shape is the
    // transaction's own format error.
    let request: Result<Request, _> = serde_json::from_slice(&body);
    if let Err(e) = &request
        && matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        )
    {
        return HttpResponse::BadRequest()
            .content_type("text/plain;charset=UTF-8")
            .body("请求报文不是合法的JSON");
    }
    let operation = request
        .as_ref()
        .map_or_else(|_| "invalid".to_owned(), |r| r.infno.clone());
    let guard = match knobs.admit(&operation).await {
        Ok(guard) => guard,
        Err(Rejection::Outage(outage)) => return knobs::outage_response(outage),
        Err(Rejection::Busy | Rejection::RateLimited { .. }) => {
            return json(&failure(&received, refmsgid, "系统繁忙，请稍后再试"), false);
        }
        Err(Rejection::InjectedError) => {
            return json(
                &failure(&received, refmsgid, "系统内部错误：数据库连接超时"),
                false,
            );
        }
    };
    let response = match request {
        Err(e) => failure(&received, refmsgid, format!("报文格式错误：{e}")),
        Ok(request) => match check_envelope(&request) {
            Err(message) => failure(&received, refmsgid, message),
            Ok(()) if request.infno == "1101" => {
                person_info(&population, &request, &received, refmsgid)
            }
            Ok(()) => failure(
                &received,
                refmsgid,
                format!("交易编号[{}]不存在或未开通", request.infno),
            ),
        },
    };
    knobs.served(1);
    json(&response, guard.garbage)
}

fn check_envelope(request: &Request) -> Result<(), String> {
    if request.msgid.trim().is_empty() {
        return Err("报文ID[msgid]不能为空".into());
    }
    let area = request.mdtrtarea_admvs.trim();
    if area.len() != 6 || !area.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("就医地医保区划[mdtrtarea_admvs]不合法：{area}"));
    }
    if chrono::NaiveDateTime::parse_from_str(&request.inf_time, TIME).is_err() {
        return Err(format!("交易时间[inf_time]格式错误：{}", request.inf_time));
    }
    Ok(())
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn person_info(
    population: &Population,
    request: &Request,
    received: &str,
    refmsgid: String,
) -> Response {
    let data = request
        .input
        .get("data")
        .unwrap_or(&serde_json::Value::Null);
    let query = match PersonQuery::deserialize(data) {
        Ok(q) => q,
        Err(e) => return failure(received, refmsgid, format!("入参[input.data]格式错误：{e}")),
    };
    if query.psn_cert_type != "01" {
        return failure(
            received,
            refmsgid,
            format!("不支持的证件类型：{}", query.psn_cert_type),
        );
    }
    let id = match IdNumber::parse(&query.certno) {
        Ok(id) => id,
        Err(e) => return failure(received, refmsgid, format!("证件号码不合法：{e}")),
    };
    let Some(index) = population.find(&id) else {
        return failure(received, refmsgid, "未查询到该人员参保信息");
    };
    let person = &population.people[index];
    let Some(medical) = person.medical else {
        return failure(received, refmsgid, "未查询到该人员参保信息");
    };
    let today = population.options.today;
    let status = match medical.status {
        InsuranceStatus::Insured => "1",
        InsuranceStatus::Suspended => "2",
        InsuranceStatus::Terminated => "3",
    };
    let admdvs = population.village_of(person).code.as_str()[..6].to_owned();
    let entry = |insutype: &str, psn_type: &str, balc: f64| InsuInfo {
        insutype: insutype.into(),
        psn_type: psn_type.into(),
        psn_insu_stas: status.into(),
        psn_insu_date: date(medical.since),
        paus_insu_date: medical.paused.map(date),
        insuplc_admdvs: admdvs.clone(),
        balc,
    };
    let insuinfo = match medical.scheme {
        MedicalScheme::Employee => {
            // A stable account balance drawn from the number itself.
            let balc = f64::from(person.id_number.sequence() * 37 % 5_000) + 0.5;
            vec![entry(
                "310",
                if medical.retired { "1102" } else { "1101" },
                balc,
            )]
        }
        MedicalScheme::Resident => vec![entry("390", "1501", 0.0), entry("392", "1501", 0.0)],
    };
    let mut idetinfo: Vec<IdetInfo> = person
        .assistance
        .iter()
        .filter_map(|a| {
            let kind = match a.programme {
                Programme::Dibao => "01",
                Programme::ExtremelyPoor => "02",
                _ => return None,
            };
            let ended = a.status != AssistanceStatus::InPayment;
            let end = a
                .end
                .map(|e| format!("{:04}-{:02}-01 00:00:00", e.year, e.month));
            Some(IdetInfo {
                psn_idet_type: kind.into(),
                begntime: format!("{:04}-{:02}-01 00:00:00", a.start.year, a.start.month),
                endtime: if ended {
                    end.or_else(|| Some(format!("{} 00:00:00", date(today))))
                } else {
                    None
                },
            })
        })
        .collect();
    if medical.monitored {
        idetinfo.push(IdetInfo {
            psn_idet_type: "03".into(),
            begntime: format!("{} 00:00:00", date(medical.since)),
            endtime: None,
        });
    }
    Response {
        infcode: 0,
        inf_refmsgid: refmsgid,
        refmsg_time: received.to_owned(),
        respond_time: now(),
        err_msg: None,
        output: Some(Output {
            baseinfo: BaseInfo {
                psn_no: format!(
                    "22{:014}",
                    crate::sim::stable_number(&id, 1) % 100_000_000_000_000
                ),
                psn_cert_type: "01".into(),
                certno: id.to_string(),
                psn_name: population
                    .department_name(index, NameSource::Medical)
                    .into_owned(),
                gend: person.sex.code().into(),
                naty: person.ethnicity.code().into(),
                brdy: date(person.birth_date()),
                age: person.id_number.age_on(today),
            },
            insuinfo,
            idetinfo,
        }),
    }
}
