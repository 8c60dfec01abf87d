//! One declared system as an adapter: its definition's requests made through the shared
//! machinery ([`Upstream`]: deadline, retries, breaker, calls in flight, health), its
//! answers read by the definition's result codes and mapped onto the view `V`.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::future::join_all;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::auth::{self, Credentials, Token, TokenCache};
use super::definition::{AnswerFormat, AuthSpec, Definition, ErrorMeaning, Paging, Request};
use super::pace::Pace;
use super::view::DeclaredView;
use super::xml;
use crate::adapters::context::CallContext;
use crate::adapters::decode;
use crate::adapters::error::{AdapterError, Rejection, Unavailability};
use crate::adapters::social::safe_code;
use crate::adapters::upstream::cache::{AnswerCache, Fresh, Source};
use crate::adapters::upstream::{Answer, Retry, Upstream};
use crate::domain::{IdNumber, RegionCode};

/// One person's answer from a declared system; `None` inside when it has no record.
pub type ViewResult<V> = Result<Fresh<Option<V>>, AdapterError>;

/// People asked at once of a system without a batch operation.
const FAN_OUT: usize = 16;

/// The values a request's templates are filled with.
type Vars = HashMap<String, String>;

/// A declared system that fills the view `V`.
pub struct DeclaredAdapter<V: DeclaredView> {
    definition: Arc<Definition>,
    upstream: Arc<Upstream>,
    credentials: Credentials,
    tokens: TokenCache,
    pace: Option<Pace>,
    cache: AnswerCache<IdNumber, Option<V>>,
    view: PhantomData<V>,
}

impl<V: DeclaredView> std::fmt::Debug for DeclaredAdapter<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeclaredAdapter")
            .field("system", &self.definition.name)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl<V: DeclaredView> DeclaredAdapter<V> {
    pub(crate) fn new(
        definition: Arc<Definition>,
        upstream: Arc<Upstream>,
        credentials: Credentials,
    ) -> Self {
        let t = &upstream.tuning;
        Self {
            cache: AnswerCache::new(t.cache_ttl, t.stale_for, t.cache_capacity),
            pace: definition.rate_per_second.map(Pace::new),
            definition,
            upstream,
            credentials,
            tokens: TokenCache::default(),
            view: PhantomData,
        }
    }

    /// Whether the system has an address (the settings' or the definition's).
    pub fn is_configured(&self) -> bool {
        self.upstream.is_configured()
    }

    /// Whether the definition lists a village's records whole.
    pub fn lists_villages(&self) -> bool {
        self.definition.village.is_some()
    }

    /// The definition it runs.
    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    /// A person's record; `None` if the system has none. Cached as the definition's
    /// freshness says, served stale while the system fails.
    pub async fn person(&self, id_number: &IdNumber, ctx: &CallContext) -> ViewResult<V> {
        let id = *id_number;
        self.cache
            .get_or_fetch(id, async move { self.person_live(&id, ctx).await })
            .await
    }

    /// Many people, each with their own result: the batch operation where the
    /// definition has one (a failed call fails only its people), else one by one.
    pub async fn people(
        &self,
        id_numbers: &[IdNumber],
        ctx: &CallContext,
    ) -> HashMap<IdNumber, ViewResult<V>> {
        let mut wanted: Vec<IdNumber> = id_numbers.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let Some(batch) = &self.definition.batch else {
            return futures_util::stream::iter(wanted)
                .map(|id| async move { (id, self.person(&id, ctx).await) })
                .buffer_unordered(FAN_OUT)
                .collect()
                .await;
        };
        let mut results = HashMap::new();
        wanted.retain(|id| match self.cache.fresh(id) {
            Some(hit) => {
                results.insert(*id, Ok(hit));
                false
            }
            None => true,
        });
        let chunks: Vec<&[IdNumber]> = wanted.chunks(batch.max).collect();
        let answers = join_all(chunks.iter().map(|chunk| self.batch_live(chunk, ctx))).await;
        for (chunk, answer) in chunks.into_iter().zip(answers) {
            for id in chunk {
                let result = match &answer {
                    Ok(found) => match found.get(id) {
                        Some(Ok(value)) => Ok(self.cache.put(*id, value.clone())),
                        Some(Err(e)) => Err(e.clone()),
                        None => Err(self.decode("a batch answer left an asked person out")),
                    },
                    Err(e) => Err(e.clone()),
                };
                let result = result.or_else(|e| self.cache.stale(id).ok_or(e));
                results.insert(*id, result);
            }
        }
        results
    }

    /// Every record of a village (12 digits), page by page as the definition says.
    /// Always live; each person found is kept in the cache.
    pub async fn village(
        &self,
        village: &RegionCode,
        ctx: &CallContext,
    ) -> Result<Fresh<Vec<(IdNumber, V)>>, AdapterError> {
        let Some(walk) = &self.definition.village else {
            return Err(AdapterError::InvalidInput {
                department: self.definition.department,
                what: "this system has no village listing".into(),
            });
        };
        let mut found = Vec::new();
        let mut next: Option<url::Url> = None;
        for page in 0..walk.max_pages {
            let mut vars = Vars::new();
            vars.insert("village".into(), village.to_string());
            vars.insert("page".into(), (page + 1).to_string());
            vars.insert("offset".into(), (page * walk.size).to_string());
            vars.insert("limit".into(), walk.size.to_string());
            let url = match next.take() {
                Some(url) => url,
                None => self.url(&walk.request, &vars)?,
            };
            let answer = self
                .exchange(ctx, "village", &walk.request, url, None)
                .await?
                .unwrap_or(Value::Null);
            let records = each(walk.records.query(&answer).all());
            let count = records.len();
            for record in records {
                let id =
                    self.definition.mapping.id_number(record).ok_or_else(|| {
                        self.decode("field id_number: missing or not an ID number")
                    })?;
                let view = self.convert(record)?;
                self.cache.put(id, Some(view.clone()));
                found.push((id, view));
            }
            let more = match &walk.paging {
                Paging::PageNumber { pages } => match pages {
                    Some(pages) => number(&answer, pages).is_some_and(|n| u64::from(page + 1) < n),
                    None => count > 0,
                },
                Paging::Offset { total } => match total {
                    Some(total) => number(&answer, total)
                        .is_some_and(|n| u64::from((page + 1) * walk.size) < n),
                    None => count >= walk.size as usize,
                },
                Paging::NextLink { next: link } => {
                    next = link
                        .query(&answer)
                        .first()
                        .and_then(Value::as_str)
                        .map(|u| self.same_origin(u))
                        .transpose()?;
                    next.is_some()
                }
            };
            if !more || count == 0 {
                return Ok(Fresh {
                    value: found,
                    source: Source::Live,
                    as_of: chrono::Utc::now(),
                });
            }
        }
        Err(self.decode("the listing did not end within the pages allowed"))
    }

    async fn person_live(
        &self,
        id: &IdNumber,
        ctx: &CallContext,
    ) -> Result<Option<V>, AdapterError> {
        let mut vars = Vars::new();
        vars.insert("id_number".into(), id.to_string());
        let steps = &self.definition.person;
        for step in steps {
            let url = self.url(&step.request, &vars)?;
            let body = fill_body(step.request.body.as_ref(), &vars, None);
            let Some(answer) = self
                .exchange(ctx, "person", &step.request, url, body)
                .await?
            else {
                return Ok(None);
            };
            for (name, path) in &step.bind {
                let Some(value) = path.query(&answer).first().and_then(scalar) else {
                    return Ok(None);
                };
                vars.insert(name.clone(), value);
            }
            if let Some(records) = &step.records {
                let record = each(records.query(&answer).all()).into_iter().next();
                return record.map(|r| self.convert(r)).transpose();
            }
        }
        Ok(None)
    }

    async fn batch_live(
        &self,
        ids: &[IdNumber],
        ctx: &CallContext,
    ) -> Result<HashMap<IdNumber, Result<Option<V>, AdapterError>>, AdapterError> {
        let Some(batch) = &self.definition.batch else {
            return Ok(HashMap::new());
        };
        let url = self.url(&batch.request, &Vars::new())?;
        let body = fill_body(batch.request.body.as_ref(), &Vars::new(), Some(ids));
        let answer = self
            .exchange(ctx, "batch", &batch.request, url, body)
            .await?
            .ok_or_else(|| self.decode("a batch answered not found"))?;
        let mut found = HashMap::new();
        // A record whose number does not parse is dropped: its person, left out of the
        // answer, gets a decode error from the caller.
        for record in each(batch.records.query(&answer).all()) {
            if let Some(id) = self.definition.mapping.id_number(record) {
                found.insert(id, self.convert(record).map(Some));
            }
        }
        if let Some(not_found) = &batch.not_found {
            for id in not_found.query(&answer).all() {
                if let Some(id) = id.as_str().and_then(|t| IdNumber::parse(t).ok()) {
                    found.entry(id).or_insert(Ok(None));
                }
            }
        }
        Ok(found)
    }

    fn convert(&self, record: &Value) -> Result<V, AdapterError> {
        let department = self.definition.department;
        let mapped = self
            .definition
            .mapping
            .apply(record)
            .map_err(|e| e.into_error(department))?;
        V::from_record(&mapped).map_err(|missing| {
            crate::adapters::decode::FieldError::new(missing.0, "missing").into_error(department)
        })
    }

    fn decode(&self, what: &str) -> AdapterError {
        AdapterError::decode(self.definition.department, what)
    }

    /// A next-page link, only if it points at the system itself.
    fn same_origin(&self, link: &str) -> Result<url::Url, AdapterError> {
        let base = self.upstream.url("/")?;
        url::Url::parse(link)
            .ok()
            .filter(|u| u.origin() == base.origin())
            .ok_or_else(|| self.decode("a next-page link to another host"))
    }

    /// The request's URL with its templates filled.
    fn url(&self, request: &Request, vars: &Vars) -> Result<url::Url, AdapterError> {
        let path = fill(&request.path, vars, true);
        let mut url = self.upstream.url(&path)?;
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, &fill(value, vars, false));
            }
        }
        Ok(url)
    }

    /// One request (renewing a refused OAuth2 token once); `None` when the system's
    /// answer means "not found".
    async fn exchange(
        &self,
        ctx: &CallContext,
        operation: &'static str,
        request: &Request,
        url: url::Url,
        body: Option<Vec<u8>>,
    ) -> Result<Option<Value>, AdapterError> {
        let department = self.definition.department;
        let mut renewed = false;
        loop {
            if let Some(pace) = &self.pace {
                pace.wait(ctx, department).await?;
            }
            let token = match &self.definition.auth {
                AuthSpec::OAuth2 { .. } => Some(self.token(ctx).await?),
                _ => None,
            };
            let result = self
                .upstream
                .call(
                    ctx,
                    operation,
                    Retry::SafeRead,
                    |client| self.build(client, request, &url, body.as_deref(), token.as_ref()),
                    |answer| self.read(answer),
                )
                .await;
            match (result, token) {
                (
                    Err(AdapterError::Rejected {
                        reason: Rejection::Unauthorized,
                        ..
                    }),
                    Some(token),
                ) if !renewed => {
                    tracing::info!(department = %department, "access token refused; renewing it");
                    self.tokens.invalidate(token.generation).await;
                    renewed = true;
                }
                (result, _) => return result,
            }
        }
    }

    fn build(
        &self,
        client: &reqwest::Client,
        request: &Request,
        url: &url::Url,
        body: Option<&[u8]>,
        token: Option<&Token>,
    ) -> Result<reqwest::RequestBuilder, AdapterError> {
        let not_configured = || AdapterError::NotConfigured {
            department: self.definition.department,
        };
        let mut builder = client.request(request.method.clone(), url.clone());
        if let Some(body) = body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, request.content_type.as_str())
                .body(body.to_vec());
        }
        Ok(match &self.definition.auth {
            AuthSpec::ApiKey { header } => {
                let key = auth::secret(&self.credentials.api_key).ok_or_else(not_configured)?;
                builder.header(header.as_str(), key)
            }
            AuthSpec::OAuth2 { .. } => match token {
                Some(token) => builder.bearer_auth(token.value.expose_secret()),
                None => return Err(not_configured()),
            },
            AuthSpec::Signed { algorithm } => {
                let app_id = self
                    .credentials
                    .app_id
                    .as_deref()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(not_configured)?;
                let secret =
                    auth::secret(&self.credentials.app_secret).ok_or_else(not_configured)?;
                let headers = auth::signature_headers(
                    *algorithm,
                    app_id,
                    secret,
                    request.method.as_str(),
                    url,
                    body.unwrap_or_default(),
                );
                headers
                    .into_iter()
                    .fold(builder, |b, (name, value)| b.header(name, value))
            }
        })
    }

    /// Reads an answer: the definition's result code decides, then the HTTP status.
    fn read(&self, answer: Answer) -> Result<Option<Value>, AdapterError> {
        let department = self.definition.department;
        let parsed = match self.definition.format {
            AnswerFormat::Json => match self.definition.encoding {
                None => serde_json::from_slice(&answer.body).map_err(|e| decode::json_problem(&e)),
                Some(encoding) => serde_json::from_str(&encoding.decode(&answer.body).0)
                    .map_err(|e| decode::json_problem(&e)),
            },
            AnswerFormat::Xml => {
                let encoding = self.definition.encoding.unwrap_or(encoding_rs::UTF_8);
                xml::to_json(&encoding.decode(&answer.body).0)
                    .ok_or("an XML answer that is not well-formed")
            }
        };
        let value: Value = match parsed {
            Ok(value) => value,
            Err(problem) => {
                return Err(answer
                    .status_error(department)
                    .unwrap_or_else(|| AdapterError::decode(department, problem)));
            }
        };
        let code = self
            .definition
            .code
            .as_ref()
            .and_then(|path| path.query(&value).first().and_then(scalar));
        let Some(code) = code else {
            return match answer.status_error(department) {
                None => Ok(Some(value)),
                Some(e) => Err(e),
            };
        };
        if self.definition.ok.contains(&code) {
            return Ok(Some(value));
        }
        match self.definition.errors.get(&code) {
            Some(ErrorMeaning::NotFound) => Ok(None),
            Some(ErrorMeaning::Busy) => Err(AdapterError::Busy { department }),
            Some(ErrorMeaning::RateLimited) => Err(AdapterError::RateLimited {
                department,
                retry_after: answer.retry_after,
            }),
            Some(ErrorMeaning::Unavailable) => Err(AdapterError::Unavailable {
                department,
                reason: Unavailability::Status(answer.status.as_u16()),
            }),
            Some(ErrorMeaning::Rejected(reason)) => Err(AdapterError::Rejected {
                department,
                reason: *reason,
            }),
            None => Err(AdapterError::Department {
                department,
                code: safe_code(&code),
            }),
        }
    }

    /// The current OAuth2 token, fetched or renewed if due.
    async fn token(&self, ctx: &CallContext) -> Result<Token, AdapterError> {
        let department = self.definition.department;
        let mut current = tokio::time::timeout(ctx.remaining(), self.tokens.current.lock())
            .await
            .map_err(|_| AdapterError::Timeout { department })?;
        if let Some(token) = current.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.clone());
        }
        let AuthSpec::OAuth2 { token_path, basic } = &self.definition.auth else {
            return Err(AdapterError::NotConfigured { department });
        };
        let not_configured = || AdapterError::NotConfigured { department };
        let id = self
            .credentials
            .client_id
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or_else(not_configured)?;
        let secret = auth::secret(&self.credentials.client_secret)
            .ok_or_else(not_configured)?
            .to_owned();
        let url = self.upstream.url(token_path)?;
        let asked = Instant::now();
        let granted: TokenAnswer = self
            .upstream
            .call(
                ctx,
                "token",
                Retry::SafeRead,
                |client| {
                    let request = client.post(url.clone());
                    Ok(if *basic {
                        request
                            .basic_auth(&id, Some(&secret))
                            .form(&[("grant_type", "client_credentials")])
                    } else {
                        request.form(&[
                            ("grant_type", "client_credentials"),
                            ("client_id", id.as_str()),
                            ("client_secret", secret.as_str()),
                        ])
                    })
                },
                |answer| {
                    if let Some(e) = answer.status_error(department) {
                        return Err(e);
                    }
                    serde_json::from_slice::<TokenAnswer>(&answer.body)
                        .map_err(|e| AdapterError::decode(department, decode::json_problem(&e)))
                },
            )
            .await?;
        let lifetime = std::time::Duration::from_secs(granted.expires_in.unwrap_or(300));
        let token = Token {
            value: SecretString::from(granted.access_token),
            renew_at: asked + auth::renew_after(lifetime),
            generation: self.tokens.next_generation(),
        };
        *current = Some(token.clone());
        Ok(token)
    }
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

/// The records a selector landed on: a list counts as its items (an XML element that
/// repeats is a list), and nulls are no records.
fn each(selected: Vec<&Value>) -> Vec<&Value> {
    selected
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            Value::Null => Vec::new(),
            other => vec![other],
        })
        .collect()
}

/// A scalar of an answer as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(answer: &Value, path: &serde_json_path::JsonPath) -> Option<u64> {
    let value = path.query(answer).first()?;
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A template with its `{name}`s filled; in a path, values are percent-encoded.
fn fill(template: &str, vars: &Vars, in_path: bool) -> String {
    let mut out = template.to_owned();
    for (name, value) in vars {
        let value = if in_path {
            encode_segment(value)
        } else {
            value.clone()
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

fn encode_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The body template filled: `"{id_numbers}"` becomes the list, other strings their
/// values.
fn fill_body(template: Option<&Value>, vars: &Vars, ids: Option<&[IdNumber]>) -> Option<Vec<u8>> {
    fn walk(value: &Value, vars: &Vars, ids: Option<&[IdNumber]>) -> Value {
        match value {
            Value::String(s) if s == "{id_numbers}" => Value::Array(
                ids.unwrap_or_default()
                    .iter()
                    .map(|id| Value::String(id.to_string()))
                    .collect(),
            ),
            Value::String(s) => Value::String(fill(s, vars, false)),
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, vars, ids)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, vars, ids)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    template.map(|t| match t {
        // A text template (an XML envelope, say) is sent as it is filled.
        Value::String(text) => fill(text, vars, false).into_bytes(),
        _ => serde_json::to_vec(&walk(t, vars, ids)).unwrap_or_default(),
    })
}
