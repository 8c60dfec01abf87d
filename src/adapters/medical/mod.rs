//! 医保: the medical insurance platform. One JSON envelope per person (transaction
//! 1101), no batch: many people are asked with bounded concurrency, and "system busy"
//! is an overload to back off from.

mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::Local;
use futures_util::StreamExt;

use super::capabilities::MedicalInsuranceLookup;
use super::context::CallContext;
use super::decode;
use super::error::{AdapterError, Rejection};
use super::settings::DepartmentSettings;
use super::upstream::cache::AnswerCache;
use super::upstream::{Answer, Retry, Upstream};
use crate::domain::views::MedicalInsuranceView;
use crate::domain::{Department, IdNumber};

pub use super::capabilities::MedicalResult;

const DEPARTMENT: Department = Department::MedicalInsurance;
const PATH: &str = "/fsi/api/rsfComIfsService/callService";
/// Calls in flight when the settings leave it open: the platform's own default limit.
pub const DEFAULT_IN_FLIGHT: u32 = 16;

/// The envelope fields the hub sends as a caller of the platform.
#[derive(Debug, Clone)]
struct Caller {
    sender_code: String,
    division: String,
    receiver_code: String,
    operator: String,
}

/// The medical insurance adapter.
#[derive(Debug)]
pub struct MedicalAdapter {
    upstream: Arc<Upstream>,
    caller: Caller,
    sequence: AtomicU64,
    fan_out: usize,
    cache: AnswerCache<IdNumber, Option<MedicalInsuranceView>>,
}

impl MedicalAdapter {
    pub(crate) fn new(upstream: Arc<Upstream>, settings: &DepartmentSettings) -> Self {
        let t = &upstream.tuning;
        let fan_out = match t.max_in_flight {
            0 => DEFAULT_IN_FLIGHT,
            n => n,
        } as usize;
        Self {
            cache: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            caller: Caller {
                sender_code: settings
                    .sender_code
                    .clone()
                    .unwrap_or_else(|| "CUNHUB".into()),
                division: settings.division.clone().unwrap_or_else(|| "220000".into()),
                receiver_code: settings
                    .receiver_code
                    .clone()
                    .unwrap_or_else(|| "YBXT".into()),
                operator: settings.operator.clone().unwrap_or_else(|| "cunhub".into()),
            },
            sequence: AtomicU64::new(1),
            fan_out,
            upstream,
        }
    }

    fn envelope<'a>(&'a self, id: &'a str) -> wire::Request<'a> {
        let now = Local::now();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) % 10_000;
        wire::Request {
            infno: "1101",
            msgid: format!(
                "{}{}{sequence:04}",
                self.caller.sender_code,
                now.format("%Y%m%d%H%M%S")
            ),
            mdtrtarea_admvs: &self.caller.division,
            insuplc_admdvs: "",
            recer_sys_code: &self.caller.receiver_code,
            infver: "V1.0",
            opter_type: "1",
            opter: &self.caller.operator,
            opter_name: &self.caller.operator,
            inf_time: now.format("%Y-%m-%d %H:%M:%S").to_string(),
            sign_no: "",
            input: wire::Input {
                data: wire::PersonQuery {
                    psn_cert_type: "01",
                    certno: id,
                    psn_name: "",
                },
            },
        }
    }
}

#[async_trait]
impl MedicalInsuranceLookup for MedicalAdapter {
    /// A person's enrolments and assistance identities; `None` if the platform has no
    /// insured person with this number.
    async fn person(&self, id_number: &IdNumber, ctx: &CallContext) -> MedicalResult {
        let id = id_number.as_str();
        let live = async {
            let url = self.upstream.url(PATH)?;
            self.upstream
                .call(
                    ctx,
                    "1101",
                    Retry::SafeRead,
                    // A new msgid per attempt: the platform wants each message unique.
                    |client| Ok(client.post(url.clone()).json(&self.envelope(id))),
                    read,
                )
                .await
        };
        self.cache.get_or_fetch(*id_number, live).await
    }

    /// Many people, at most the configured calls in flight (16 by default) — the
    /// platform has no batch transaction. Each person gets their own result.
    async fn people(
        &self,
        id_numbers: &[IdNumber],
        ctx: &CallContext,
    ) -> HashMap<IdNumber, MedicalResult> {
        let mut unique: Vec<IdNumber> = id_numbers.to_vec();
        unique.sort_unstable();
        unique.dedup();
        futures_util::stream::iter(unique)
            .map(|id| async move { (id, self.person(&id, ctx).await) })
            .buffer_unordered(self.fan_out)
            .collect()
            .await
    }
}

/// `infcode` decides; `err_msg` is read only to tell "not found" and "busy" from other
/// failures, and never copied into the error.
fn read(answer: Answer) -> Result<Option<MedicalInsuranceView>, AdapterError> {
    let response: wire::Response = match serde_json::from_slice(&answer.body) {
        Ok(r) => r,
        Err(e) => {
            return Err(answer
                .status_error(DEPARTMENT)
                .unwrap_or_else(|| AdapterError::decode(DEPARTMENT, decode::json_problem(&e))));
        }
    };
    if let Some(e) = answer.status_error(DEPARTMENT) {
        return Err(e);
    }
    match response.infcode() {
        Some(0) => {
            let output = response
                .output
                .ok_or_else(|| AdapterError::decode(DEPARTMENT, "a success without output"))?;
            MedicalInsuranceView::try_from(output)
                .map(Some)
                .map_err(|e| e.into_error(DEPARTMENT))
        }
        Some(code) => {
            let message = response.err_msg.unwrap_or_default();
            if message.contains("未查询到") {
                Ok(None)
            } else if message.contains("繁忙") {
                Err(AdapterError::Busy {
                    department: DEPARTMENT,
                })
            } else if message.contains("格式错误") || message.contains("不合法") {
                Err(AdapterError::Rejected {
                    department: DEPARTMENT,
                    reason: Rejection::BadRequest,
                })
            } else {
                Err(AdapterError::Department {
                    department: DEPARTMENT,
                    code: code.to_string(),
                })
            }
        }
        None => Err(AdapterError::decode(
            DEPARTMENT,
            "field infcode: not a number",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use reqwest::StatusCode;

    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            body: body.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn failures_by_err_msg_without_copying_it() {
        let r = |b: &str| read(answer(200, b));
        assert_eq!(
            r(r#"{"infcode":-1,"err_msg":"未查询到该人员参保信息"}"#),
            Ok(None)
        );
        assert_eq!(
            r(r#"{"infcode":-1,"err_msg":"系统繁忙，请稍后再试"}"#),
            Err(AdapterError::Busy {
                department: DEPARTMENT
            })
        );
        let e = r(r#"{"infcode":-1,"err_msg":"证件号码不合法：220122195603020018"}"#).unwrap_err();
        assert!(!e.to_string().contains("220122"));
        let e = r(r#"{"infcode":-1,"err_msg":"系统内部错误：数据库连接超时"}"#).unwrap_err();
        assert_eq!(
            e,
            AdapterError::Department {
                department: DEPARTMENT,
                code: "-1".into()
            }
        );
        assert!(matches!(
            read(answer(400, "请求报文不是合法的JSON")),
            Err(AdapterError::Rejected { .. })
        ));
        assert!(matches!(
            r(r#"{"infcode":0,"output":{"baseinfo":"#),
            Err(AdapterError::Decode { .. })
        ));
    }
}
