//! 人社: the social security platform. REST JSON with 金保 field codes behind an
//! `X-Api-Key`; a batch query of up to 100 people per call.

mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::join_all;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::capabilities::{EmploymentLookup, SocialInsuranceLookup};
use super::context::CallContext;
use super::decode::{self, FieldError};
use super::error::{AdapterError, Rejection};
use super::upstream::cache::{AnswerCache, Fresh};
use super::upstream::{Answer, Retry, Upstream};
use crate::domain::views::{EmploymentView, SocialInsuranceView};
use crate::domain::{Department, IdNumber};

pub use super::capabilities::InsurancesResult;

const DEPARTMENT: Department = Department::SocialSecurity;

/// People per batch call, the platform's limit.
pub const MAX_BATCH: usize = 100;

/// The social security adapter.
#[derive(Debug)]
pub struct SocialAdapter {
    upstream: Arc<Upstream>,
    api_key: Option<SecretString>,
    insurances: AnswerCache<IdNumber, Option<SocialInsuranceView>>,
    employment: AnswerCache<IdNumber, Option<EmploymentView>>,
}

impl SocialAdapter {
    pub(crate) fn new(upstream: Arc<Upstream>, api_key: Option<SecretString>) -> Self {
        let t = &upstream.tuning;
        Self {
            insurances: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            employment: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            upstream,
            api_key,
        }
    }

    fn key(&self) -> Result<&str, AdapterError> {
        self.api_key
            .as_ref()
            .map(|k| k.expose_secret())
            .filter(|k| !k.is_empty())
            .ok_or(AdapterError::NotConfigured {
                department: DEPARTMENT,
            })
    }

    /// One batch call: each asked person found (converted, or a decode failure of their
    /// record alone) or absent (not found).
    async fn batch_call(
        &self,
        ids: &[IdNumber],
        ctx: &CallContext,
    ) -> Result<HashMap<IdNumber, Result<Option<SocialInsuranceView>, AdapterError>>, AdapterError>
    {
        let url = self.upstream.url("/api/v1/insurances:batchQuery")?;
        let refs: Vec<&str> = ids.iter().map(IdNumber::as_str).collect();
        let body = wire::BatchRequest { aac002: &refs };
        let data: Option<wire::BatchData> = self
            .upstream
            .call(
                ctx,
                "batchQuery",
                Retry::SafeRead,
                |client| {
                    Ok(client
                        .post(url.clone())
                        .json(&body)
                        .header("X-Api-Key", self.key()?))
                },
                read::<wire::BatchData>,
            )
            .await?;
        let data =
            data.ok_or_else(|| AdapterError::decode(DEPARTMENT, "a batch answered not found"))?;
        let mut found = HashMap::new();
        // A record under a number that does not parse is dropped: its person, left
        // out of the answer, gets a decode error below.
        for person in data.list {
            if let Ok(id) = IdNumber::parse(&person.aac002) {
                found.insert(id, convert(person).map(Some));
            }
        }
        for id in data.not_found {
            if let Ok(id) = IdNumber::parse(&id) {
                found.insert(id, Ok(None));
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl SocialInsuranceLookup for SocialAdapter {
    /// A person's insurance schemes and pension; `None` if the platform has no record.
    async fn insurances(&self, id_number: &IdNumber, ctx: &CallContext) -> InsurancesResult {
        let id = *id_number;
        let path = format!("/api/v1/persons/{id}/insurances");
        let live = async move {
            let url = self.upstream.url(&path)?;
            let person: Option<wire::PersonInsurances> = self
                .upstream
                .call(
                    ctx,
                    "insurances",
                    Retry::SafeRead,
                    |client| {
                        Ok(client
                            .get(url.clone())
                            .query(&[("page", "1"), ("pageSize", "100")])
                            .header("X-Api-Key", self.key()?))
                    },
                    read::<wire::PersonInsurances>,
                )
                .await?;
            person.map(convert).transpose()
        };
        self.insurances.get_or_fetch(id, live).await
    }

    /// Many people's insurances: fresh cache entries first, the rest in batch calls of
    /// [`MAX_BATCH`] made in parallel. Each person gets their own result: a failed batch
    /// fails only its people (served stale from the cache where possible).
    async fn insurances_batch(
        &self,
        id_numbers: &[IdNumber],
        ctx: &CallContext,
    ) -> HashMap<IdNumber, InsurancesResult> {
        let mut results = HashMap::new();
        let mut wanted: Vec<IdNumber> = id_numbers.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        wanted.retain(|id| match self.insurances.fresh(id) {
            Some(hit) => {
                results.insert(*id, Ok(hit));
                false
            }
            None => true,
        });
        let chunks: Vec<&[IdNumber]> = wanted.chunks(MAX_BATCH).collect();
        let answers = join_all(chunks.iter().map(|chunk| self.batch_call(chunk, ctx))).await;
        for (chunk, answer) in chunks.into_iter().zip(answers) {
            for id in chunk {
                let result = match &answer {
                    Ok(found) => {
                        let value = found.get(id).cloned().unwrap_or_else(|| {
                            Err(AdapterError::decode(
                                DEPARTMENT,
                                "a batch answer left an asked person out",
                            ))
                        });
                        value.map(|v| self.insurances.put(*id, v))
                    }
                    Err(e) => Err(e.clone()),
                };
                let result = result.or_else(|e| self.insurances.stale(id).ok_or(e));
                results.insert(*id, result);
            }
        }
        results
    }
}

#[async_trait]
impl EmploymentLookup for SocialAdapter {
    /// Employment registration and training; `None` if the platform has no record.
    async fn employment(
        &self,
        id_number: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Fresh<Option<EmploymentView>>, AdapterError> {
        let id = *id_number;
        let path = format!("/api/v1/persons/{id}/employment");
        let live = async move {
            let url = self.upstream.url(&path)?;
            let data: Option<wire::EmploymentData> = self
                .upstream
                .call(
                    ctx,
                    "employment",
                    Retry::SafeRead,
                    |client| {
                        Ok(client
                            .get(url.clone())
                            .query(&[("page", "1"), ("pageSize", "100")])
                            .header("X-Api-Key", self.key()?))
                    },
                    read::<wire::EmploymentData>,
                )
                .await?;
            data.map(|d| EmploymentView::try_from(d).map_err(|e| e.into_error(DEPARTMENT)))
                .transpose()
        };
        self.employment.get_or_fetch(id, live).await
    }
}

fn convert(person: wire::PersonInsurances) -> Result<SocialInsuranceView, AdapterError> {
    SocialInsuranceView::try_from(person).map_err(|e: FieldError| e.into_error(DEPARTMENT))
}

/// Reads the envelope of any answer: its `code` decides, then the HTTP status.
fn read<T: DeserializeOwned>(answer: Answer) -> Result<Option<T>, AdapterError> {
    let envelope: wire::Envelope<T> = match serde_json::from_slice(&answer.body) {
        Ok(envelope) => envelope,
        Err(e) => {
            return Err(answer
                .status_error(DEPARTMENT)
                .unwrap_or_else(|| AdapterError::decode(DEPARTMENT, decode::json_problem(&e))));
        }
    };
    let rejected = |reason| AdapterError::Rejected {
        department: DEPARTMENT,
        reason,
    };
    match envelope.code.as_str() {
        wire::OK => envelope
            .data
            .map(Some)
            .ok_or_else(|| AdapterError::decode(DEPARTMENT, "a success without data")),
        wire::NOT_FOUND => Ok(None),
        "1429" => Err(AdapterError::RateLimited {
            department: DEPARTMENT,
            retry_after: answer.retry_after,
        }),
        "1503" => Err(AdapterError::Busy {
            department: DEPARTMENT,
        }),
        "1001" => Err(rejected(Rejection::Unauthorized)),
        "1002" => Err(rejected(Rejection::Forbidden)),
        code if code.starts_with('3') => Err(rejected(Rejection::BadRequest)),
        code => Err(AdapterError::Department {
            department: DEPARTMENT,
            code: safe_code(code),
        }),
    }
}

/// A department's failure code, if it looks like one (never free text from the answer).
pub(crate) fn safe_code(code: &str) -> String {
    if !code.is_empty()
        && code.len() <= 12
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        code.to_owned()
    } else {
        "unrecognised".to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use reqwest::StatusCode;

    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: Some(Duration::from_secs(1)),
            body: body.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn envelope_codes_map_to_typed_failures() {
        let r = |s, b| read::<wire::PersonInsurances>(answer(s, b));
        assert!(matches!(
            r(200, r#"{"code":"2001","message":"未查询到","data":null}"#),
            Ok(None)
        ));
        assert!(matches!(
            r(429, r#"{"code":"1429","message":"x","data":null}"#),
            Err(AdapterError::RateLimited {
                retry_after: Some(_),
                ..
            })
        ));
        assert!(matches!(
            r(503, r#"{"code":"1503","message":"x"}"#),
            Err(AdapterError::Busy { .. })
        ));
        assert!(matches!(
            r(403, r#"{"code":"1002","message":"x"}"#),
            Err(AdapterError::Rejected {
                reason: Rejection::Forbidden,
                ..
            })
        ));
        assert_eq!(
            r(500, r#"{"code":"9999","message":"系统内部错误"}"#).unwrap_err(),
            AdapterError::Department {
                department: DEPARTMENT,
                code: "9999".into()
            }
        );
        assert!(matches!(
            r(503, "<html>503 Service Temporarily Unavailable</html>"),
            Err(AdapterError::Unavailable { .. })
        ));
    }

    #[test]
    fn a_cut_answer_is_a_decode_error_without_its_content() {
        let e = read::<wire::PersonInsurances>(answer(
            200,
            r#"{"code":"0000","message":"成功","data":{"aac001":"00123","aac002":"2201221956"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind(), crate::adapters::ErrorKind::Decode);
        assert!(!e.to_string().contains("2201221956"));
    }

    #[test]
    fn codes_from_the_answer_are_kept_only_if_they_look_like_codes() {
        assert_eq!(safe_code("9999"), "9999");
        assert_eq!(safe_code("身份证 220122195603020017"), "unrecognised");
    }
}
