//! 民政: the civil affairs assistance service. SOAP 1.1 in GBK, by ID card or by village
//! (paged); faults mapped to typed errors.

mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;

use super::capabilities::AssistanceLookup;
use super::context::CallContext;
use super::error::{AdapterError, Rejection};
use super::social::safe_code;
use super::upstream::cache::{AnswerCache, Fresh};
use super::upstream::{Answer, Retry, Upstream};
use crate::domain::views::AssistanceRecord;
use crate::domain::{Department, IdNumber, RegionCode};

const DEPARTMENT: Department = Department::CivilAffairs;
const PATH: &str = "/services/AssistanceService";

/// Records asked per page of a village walk (the service's maximum).
pub const PAGE_SIZE: usize = 200;

/// The civil affairs adapter.
#[derive(Debug)]
pub struct CivilAdapter {
    upstream: Arc<Upstream>,
    by_id: AnswerCache<IdNumber, Vec<AssistanceRecord>>,
    by_village: AnswerCache<String, Vec<AssistanceRecord>>,
}

impl CivilAdapter {
    pub(crate) fn new(upstream: Arc<Upstream>) -> Self {
        let t = &upstream.tuning;
        Self {
            by_id: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            by_village: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity / 100 + 1),
            upstream,
        }
    }

    async fn query(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        params: &[(&str, &str)],
    ) -> Result<wire::SoapAnswer, AdapterError> {
        let url = self.upstream.url(PATH)?;
        let body = wire::request(operation, params);
        self.upstream
            .call(
                ctx,
                operation,
                Retry::SafeRead,
                |client| {
                    Ok(client
                        .post(url.clone())
                        .header(CONTENT_TYPE, "text/xml; charset=GBK")
                        .header("SOAPAction", wire::action(operation))
                        .body(body.clone()))
                },
                read,
            )
            .await
    }
}

#[async_trait]
impl AssistanceLookup for CivilAdapter {
    /// A person's assistance records (empty when civil affairs has none).
    async fn assistance_by_id(
        &self,
        id_number: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Fresh<Vec<AssistanceRecord>>, AdapterError> {
        let params = [("IdCard", id_number.as_str())];
        let live = async {
            let answer = self.query(ctx, "QueryAssistanceByIdCard", &params).await?;
            records(answer.records)
        };
        self.by_id.get_or_fetch(*id_number, live).await
    }

    /// Every assistance record of a village or community (12-digit code), walking all
    /// pages within the call's deadline.
    async fn assistance_by_village(
        &self,
        village: &RegionCode,
        ctx: &CallContext,
    ) -> Result<Fresh<Vec<AssistanceRecord>>, AdapterError> {
        if village.as_str().len() != 12 {
            return Err(AdapterError::InvalidInput {
                department: DEPARTMENT,
                what: "assistance is listed by 12-digit village or community code".into(),
            });
        }
        let code = village.as_str().to_owned();
        let live = async {
            let mut all = Vec::new();
            let mut page = 1usize;
            loop {
                let page_text = page.to_string();
                let size_text = PAGE_SIZE.to_string();
                let params = [
                    ("VillageCode", code.as_str()),
                    ("PageNo", page_text.as_str()),
                    ("PageSize", size_text.as_str()),
                ];
                let answer = self.query(ctx, "QueryAssistanceByVillage", &params).await?;
                let total: usize = answer
                    .fields
                    .get("Total")
                    .and_then(|t| t.trim().parse().ok())
                    .ok_or_else(|| {
                        AdapterError::decode(DEPARTMENT, "field Total: missing or not a number")
                    })?;
                let got = answer.records.len();
                all.extend(records(answer.records)?);
                // A short page or the total reached ends the walk; a total that keeps
                // growing cannot make it endless.
                if got == 0 || all.len() >= total || page * PAGE_SIZE >= total {
                    break;
                }
                page += 1;
            }
            Ok(all)
        };
        self.by_village.get_or_fetch(code.clone(), live).await
    }
}

fn records(
    records: Vec<std::collections::HashMap<String, String>>,
) -> Result<Vec<AssistanceRecord>, AdapterError> {
    records
        .into_iter()
        .map(|r| {
            AssistanceRecord::try_from(wire::RecordFields(r)).map_err(|e| e.into_error(DEPARTMENT))
        })
        .collect()
}

/// Faults first (with the HTTP status telling throttling from refusal), then the status,
/// then the response's own result code.
fn read(answer: Answer) -> Result<wire::SoapAnswer, AdapterError> {
    let soap = match wire::parse(&answer.body) {
        Ok(soap) => soap,
        Err(e) => {
            return Err(answer
                .status_error(DEPARTMENT)
                .unwrap_or_else(|| AdapterError::decode(DEPARTMENT, e.describe())));
        }
    };
    if let Some(fault) = &soap.fault {
        return Err(match answer.status.as_u16() {
            429 => AdapterError::RateLimited {
                department: DEPARTMENT,
                retry_after: answer.retry_after,
            },
            503 => AdapterError::Busy {
                department: DEPARTMENT,
            },
            _ if fault.code == "Client" => AdapterError::Rejected {
                department: DEPARTMENT,
                reason: Rejection::BadRequest,
            },
            _ => AdapterError::Department {
                department: DEPARTMENT,
                code: format!("soap:{}", safe_code(&fault.code)),
            },
        });
    }
    if let Some(e) = answer.status_error(DEPARTMENT) {
        return Err(e);
    }
    match soap.fields.get("ResultCode").map(|c| c.trim()) {
        Some("0") => Ok(soap),
        Some(code) => Err(AdapterError::Department {
            department: DEPARTMENT,
            code: safe_code(code),
        }),
        None => Err(AdapterError::decode(
            DEPARTMENT,
            "field ResultCode: missing",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use reqwest::StatusCode;

    use super::*;

    fn answer(status: u16, xml: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            body: encoding_rs::GBK.encode(xml).0.into_owned().into(),
        }
    }

    fn fault(code: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"GBK\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>村（社区）代码不存在：220122101299</faultstring></soap:Fault></soap:Body></soap:Envelope>"
        )
    }

    #[test]
    fn faults_map_to_typed_errors_without_their_text() {
        let e = read(answer(500, &fault("Client"))).unwrap_err();
        assert_eq!(
            e,
            AdapterError::Rejected {
                department: DEPARTMENT,
                reason: Rejection::BadRequest
            }
        );
        let e = read(answer(500, &fault("Server"))).unwrap_err();
        assert_eq!(
            e,
            AdapterError::Department {
                department: DEPARTMENT,
                code: "soap:Server".into()
            }
        );
        assert!(!e.to_string().contains("220122101299"));
        assert!(matches!(
            read(answer(429, &fault("Server"))),
            Err(AdapterError::RateLimited { .. })
        ));
        assert!(matches!(
            read(answer(503, &fault("Server"))),
            Err(AdapterError::Busy { .. })
        ));
        assert!(matches!(
            read(answer(
                503,
                "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            )),
            Err(AdapterError::Unavailable { .. })
        ));
        assert!(matches!(
            read(answer(200, "<soap:Envelope")),
            Err(AdapterError::Decode { .. })
        ));
    }
}
