//! 公安: the household register behind OAuth2 client credentials. Person and household
//! lookups, and cursor paging by village, township or county for the resident index.

mod token;
mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use self::token::{Token, TokenCache};
use super::capabilities::HouseholdRegister;
use super::context::CallContext;
use super::decode::{self, FieldError};
use super::error::{AdapterError, Rejection};
use super::settings::DepartmentSettings;
use super::social::safe_code;
use super::upstream::cache::{AnswerCache, Fresh};
use super::upstream::{Answer, Retry, Upstream};
use crate::domain::views::{HouseholdView, RegistrationPage, RegistrationView};
use crate::domain::{Department, IdNumber, RegionCode};

const DEPARTMENT: Department = Department::PublicSecurity;

/// Largest page the register gives.
pub const MAX_PAGE: u32 = 500;

/// The public security adapter.
#[derive(Debug)]
pub struct PoliceAdapter {
    upstream: Arc<Upstream>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    refresh_before: Duration,
    tokens: TokenCache,
    persons: AnswerCache<IdNumber, Option<RegistrationView>>,
    households: AnswerCache<String, Option<HouseholdView>>,
}

impl PoliceAdapter {
    pub(crate) fn new(upstream: Arc<Upstream>, settings: &DepartmentSettings) -> Self {
        let t = &upstream.tuning;
        Self {
            persons: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            households: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            refresh_before: settings
                .token_refresh_before
                .unwrap_or(Duration::from_secs(30)),
            tokens: TokenCache::default(),
            upstream,
        }
    }

    /// A GET with the bearer token; on a 401 the token is renewed once and the call
    /// repeated.
    async fn get<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<T>, AdapterError> {
        let url = self.upstream.url(path)?;
        let mut renewed = false;
        loop {
            let token = self.token(ctx).await?;
            let result = self
                .upstream
                .call(
                    ctx,
                    operation,
                    Retry::SafeRead,
                    |client| {
                        Ok(client
                            .get(url.clone())
                            .query(query)
                            .bearer_auth(token.value.expose_secret()))
                    },
                    read::<T>,
                )
                .await;
            match result {
                Err(AdapterError::Rejected {
                    reason: Rejection::Unauthorized,
                    ..
                }) if !renewed => {
                    tracing::info!(department = %DEPARTMENT, "access token refused; renewing it");
                    self.tokens.invalidate(token.generation).await;
                    renewed = true;
                }
                other => return other,
            }
        }
    }

    /// The current token, renewed if it is due.
    async fn token(&self, ctx: &CallContext) -> Result<Token, AdapterError> {
        let mut current = tokio::time::timeout(ctx.remaining(), self.tokens.lock())
            .await
            .map_err(|_| AdapterError::Timeout {
                department: DEPARTMENT,
            })?;
        if let Some(token) = current.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.clone());
        }
        let token = self.fetch_token(ctx).await?;
        *current = Some(token.clone());
        Ok(token)
    }

    async fn fetch_token(&self, ctx: &CallContext) -> Result<Token, AdapterError> {
        let (Some(id), Some(secret)) = (&self.client_id, &self.client_secret) else {
            return Err(AdapterError::NotConfigured {
                department: DEPARTMENT,
            });
        };
        let url = self.upstream.url("/oauth/token")?;
        let asked = Instant::now();
        let answer: wire::TokenResponse = self
            .upstream
            .call(
                ctx,
                "token",
                Retry::SafeRead,
                |client| {
                    Ok(client
                        .post(url.clone())
                        .basic_auth(id, Some(secret.expose_secret()))
                        .header(
                            reqwest::header::CONTENT_TYPE,
                            "application/x-www-form-urlencoded",
                        )
                        .body("grant_type=client_credentials"))
                },
                read_token,
            )
            .await?;
        if answer
            .token_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(AdapterError::decode(
                DEPARTMENT,
                "field token_type: not Bearer",
            ));
        }
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(300));
        Ok(Token {
            value: SecretString::from(answer.access_token),
            renew_at: asked + token::renew_after(lifetime, self.refresh_before),
            generation: self.tokens.next_generation(),
        })
    }
}

#[async_trait]
impl HouseholdRegister for PoliceAdapter {
    /// A person's registration; `None` if the register has no such person.
    async fn person(
        &self,
        id_number: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Fresh<Option<RegistrationView>>, AdapterError> {
        let query = [("sfzh", id_number.to_string())];
        let live = async {
            let found: Option<wire::Ry> =
                self.get(ctx, "persons", "/hjxx/v2/persons", &query).await?;
            found.map(convert).transpose()
        };
        self.persons.get_or_fetch(*id_number, live).await
    }

    /// A household and its members; `None` if the register has no such household.
    async fn household(
        &self,
        number: &str,
        ctx: &CallContext,
    ) -> Result<Fresh<Option<HouseholdView>>, AdapterError> {
        let number = number.trim().to_owned();
        if number.len() != 16 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("a household number has 16 digits"));
        }
        let path = format!("/hjxx/v2/households/{number}");
        let live = async move {
            let found: Option<wire::Hu> = self.get(ctx, "households", &path, &[]).await?;
            found
                .map(|h| HouseholdView::try_from(h).map_err(|e| e.into_error(DEPARTMENT)))
                .transpose()
        };
        self.households.get_or_fetch(number, live).await
    }

    /// One page of the register of a village (12 digits), township (9) or county (6),
    /// from `cursor` (`None` for the first page); `limit` 1–500. Never cached: this is
    /// how `cunhub sync` walks a region.
    async fn village_page(
        &self,
        region: &RegionCode,
        cursor: Option<&str>,
        limit: u32,
        ctx: &CallContext,
    ) -> Result<RegistrationPage, AdapterError> {
        let code = region.as_str();
        if ![6, 9, 12].contains(&code.len()) {
            return Err(invalid(
                "the register lists by county, township or village code",
            ));
        }
        let mut query = vec![("limit", limit.clamp(1, MAX_PAGE).to_string())];
        if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
            query.push(("cursor", cursor.to_owned()));
        }
        let path = format!("/hjxx/v2/villages/{code}/persons");
        let page: Option<wire::Page> = self.get(ctx, "villagePersons", &path, &query).await?;
        // The register answers 404 for a code it does not know and for one with nobody
        // registered in it alike.
        let page = page.ok_or(AdapterError::Rejected {
            department: DEPARTMENT,
            reason: Rejection::UnknownRegion,
        })?;
        RegistrationPage::try_from(page).map_err(|e| e.into_error(DEPARTMENT))
    }
}

fn invalid(what: &str) -> AdapterError {
    AdapterError::InvalidInput {
        department: DEPARTMENT,
        what: what.into(),
    }
}

fn convert(person: wire::Ry) -> Result<RegistrationView, AdapterError> {
    RegistrationView::try_from(person).map_err(|e: FieldError| e.into_error(DEPARTMENT))
}

fn read_token(answer: Answer) -> Result<wire::TokenResponse, AdapterError> {
    if let Some(e) = answer.status_error(DEPARTMENT) {
        return Err(e);
    }
    serde_json::from_slice(&answer.body)
        .map_err(|e| AdapterError::decode(DEPARTMENT, decode::json_problem(&e)))
}

/// 200: the value; 404: not found; otherwise the status and `{code}` decide.
fn read<T: DeserializeOwned>(answer: Answer) -> Result<Option<T>, AdapterError> {
    let status = answer.status.as_u16();
    if answer.status.is_success() {
        return serde_json::from_slice(&answer.body)
            .map(Some)
            .map_err(|e| AdapterError::decode(DEPARTMENT, decode::json_problem(&e)));
    }
    let code = serde_json::from_slice::<wire::ApiError>(&answer.body)
        .ok()
        .map(|e| e.code);
    match (status, code.as_deref()) {
        (404, _) => Ok(None),
        (503, Some("BUSY")) => Err(AdapterError::Busy {
            department: DEPARTMENT,
        }),
        (500, Some(code)) => Err(AdapterError::Department {
            department: DEPARTMENT,
            code: safe_code(code),
        }),
        _ => Err(answer
            .status_error(DEPARTMENT)
            .unwrap_or(AdapterError::Rejected {
                department: DEPARTMENT,
                reason: Rejection::Status(status),
            })),
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
            retry_after: Some(Duration::from_secs(2)),
            body: body.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn statuses_and_codes_map_to_typed_failures() {
        let r = |s, b| read::<wire::Ry>(answer(s, b));
        assert!(matches!(
            r(404, r#"{"code":"NOT_FOUND","message":"未查询到"}"#),
            Ok(None)
        ));
        assert!(matches!(
            r(401, r#"{"code":"UNAUTHORIZED","message":"x"}"#),
            Err(AdapterError::Rejected {
                reason: Rejection::Unauthorized,
                ..
            })
        ));
        assert!(matches!(
            r(429, r#"{"code":"TOO_MANY_REQUESTS","message":"x"}"#),
            Err(AdapterError::RateLimited {
                retry_after: Some(_),
                ..
            })
        ));
        assert!(matches!(
            r(503, r#"{"code":"BUSY","message":"x"}"#),
            Err(AdapterError::Busy { .. })
        ));
        assert!(matches!(
            r(503, "<html></html>"),
            Err(AdapterError::Unavailable { .. })
        ));
        assert!(matches!(
            r(500, r#"{"code":"INTERNAL_ERROR"}"#),
            Err(AdapterError::Department { .. })
        ));
        assert!(matches!(
            r(200, r#"{"sfzh":"2201"#),
            Err(AdapterError::Decode { .. })
        ));
    }
}
