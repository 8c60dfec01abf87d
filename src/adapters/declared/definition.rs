//! A department definition, checked and compiled: every mistake of a file is named at
//! once (like the policy file's check), so `cunhub departments check FILE` and the hub's
//! start say the same thing.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json_path::JsonPath;

use super::form::{BatchForm, DefinitionForm, StepForm, VillageForm};
use super::mapping::{self, ListRule, Mapping, selector};
use super::record::{FieldSpec, ListSpec};
use super::view::{DeclaredView, VIEW_NAMES};
use crate::adapters::error::Rejection;
use crate::domain::Department;
use crate::domain::views::{FamilyDoctorView, PovertyMonitoringView, VeteranView};

/// A definition that cannot be used, with every mistake explained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name} has {} mistake(s):\n  - {}", .problems.len(), .problems.join("\n  - "))]
pub struct DefinitionError {
    /// The file (or built-in definition) the mistakes are in.
    pub source_name: String,
    pub problems: Vec<String>,
}

/// How the hub authenticates to the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSpec {
    /// A key in a header.
    ApiKey { header: String },
    /// OAuth2 client credentials; the client authenticates with HTTP Basic or in the form.
    OAuth2 { token_path: String, basic: bool },
    /// Each request signed: app id, timestamp, nonce and an HMAC over a canonical form.
    Signed { algorithm: SignAlgorithm },
}

/// The HMAC of a signed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignAlgorithm {
    /// HMAC over SM3 (GB/T 32905), the body hashed with SM3.
    HmacSm3,
    /// HMAC over SHA-256, the body hashed with SHA-256.
    HmacSha256,
}

/// What a department's failure code means to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorMeaning {
    NotFound,
    Busy,
    RateLimited,
    Unavailable,
    Rejected(Rejection),
}

const MEANINGS: [&str; 8] = [
    "not_found",
    "busy",
    "rate_limited",
    "unavailable",
    "unauthorized",
    "forbidden",
    "bad_request",
    "invalid_input",
];

fn meaning(word: &str) -> Option<ErrorMeaning> {
    Some(match word {
        "not_found" => ErrorMeaning::NotFound,
        "busy" => ErrorMeaning::Busy,
        "rate_limited" => ErrorMeaning::RateLimited,
        "unavailable" => ErrorMeaning::Unavailable,
        "unauthorized" => ErrorMeaning::Rejected(Rejection::Unauthorized),
        "forbidden" => ErrorMeaning::Rejected(Rejection::Forbidden),
        "bad_request" | "invalid_input" => ErrorMeaning::Rejected(Rejection::BadRequest),
        _ => return None,
    })
}

/// One HTTP request of an operation, its templates checked.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: reqwest::Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// A JSON template, or a string: a text template sent as it is filled.
    pub body: Option<serde_json::Value>,
    pub content_type: String,
}

/// How answers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerFormat {
    Json,
    /// Read into a tree of elements for the selectors (see `xml`).
    Xml,
}

/// One step of the person lookup.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub request: Request,
    pub bind: Vec<(String, JsonPath)>,
    pub records: Option<JsonPath>,
}

#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub request: Request,
    pub max: usize,
    pub records: JsonPath,
    pub not_found: Option<JsonPath>,
}

#[derive(Debug, Clone)]
pub(crate) enum Paging {
    PageNumber { pages: Option<JsonPath> },
    Offset { total: Option<JsonPath> },
    NextLink { next: JsonPath },
}

#[derive(Debug, Clone)]
pub(crate) struct Village {
    pub request: Request,
    pub records: JsonPath,
    pub paging: Paging,
    pub size: u32,
    pub max_pages: u32,
}

/// A checked definition.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub department: Department,
    /// The view it fills (one of [`VIEW_NAMES`]).
    pub view: &'static str,
    pub title: String,
    pub regions: Vec<String>,
    pub base_url: Option<String>,
    pub auth: AuthSpec,
    pub format: AnswerFormat,
    /// The answers' character set, where it is not UTF-8.
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
    pub(crate) code: Option<JsonPath>,
    pub(crate) ok: Vec<String>,
    pub(crate) errors: HashMap<String, ErrorMeaning>,
    pub(crate) person: Vec<Step>,
    pub(crate) batch: Option<Batch>,
    pub(crate) village: Option<Village>,
    pub(crate) mapping: Mapping,
    pub max_in_flight: Option<u32>,
    pub rate_per_second: Option<f64>,
    pub cache_ttl: Option<Duration>,
    pub stale_for: Option<Duration>,
}

/// The fields and lists of the view named `name`.
fn view_spec(name: &str) -> Option<(&'static str, &'static [FieldSpec], &'static [ListSpec])> {
    fn of<V: DeclaredView>() -> (&'static str, &'static [FieldSpec], &'static [ListSpec]) {
        (V::NAME, V::FIELDS, V::LISTS)
    }
    [
        of::<VeteranView>(),
        of::<FamilyDoctorView>(),
        of::<PovertyMonitoringView>(),
    ]
    .into_iter()
    .find(|(n, _, _)| *n == name)
}

impl Definition {
    /// Parses and checks a definition; `source_name` names it in the mistakes.
    pub fn parse(source_name: &str, text: &str) -> Result<Self, DefinitionError> {
        let fail = |problems| DefinitionError {
            source_name: source_name.to_owned(),
            problems,
        };
        let form: DefinitionForm = toml::from_str(text).map_err(|e| fail(vec![e.to_string()]))?;
        let mut problems = Vec::new();
        let definition = compile(form, &mut problems);
        match definition {
            Some(d) if problems.is_empty() => Ok(d),
            _ => Err(fail(problems)),
        }
    }

    /// The operations it declares: `person` (in so many requests), `batch`, `village`.
    pub fn operations(&self) -> Vec<String> {
        let mut operations = vec![match self.person.len() {
            1 => "person".to_owned(),
            n => format!("person ({n} requests)"),
        }];
        if let Some(batch) = &self.batch {
            operations.push(format!("batch (up to {})", batch.max));
        }
        if let Some(village) = &self.village {
            let paging = match village.paging {
                Paging::PageNumber { .. } => "page numbers",
                Paging::Offset { .. } => "offsets",
                Paging::NextLink { .. } => "next links",
            };
            operations.push(format!("village (by {paging})"));
        }
        operations
    }

    /// The length of the longest of its region prefixes that covers `village`, if any.
    pub fn serves(&self, village: &str) -> Option<usize> {
        self.regions
            .iter()
            .filter(|r| village.starts_with(r.as_str()))
            .map(String::len)
            .max()
    }
}

fn compile(form: DefinitionForm, problems: &mut Vec<String>) -> Option<Definition> {
    let name_ok = !form.name.is_empty()
        && form
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        problems.push(format!(
            "name: `{}` must be lowercase letters, digits and _ (it names the settings section)",
            form.name
        ));
    }
    let department = Department::parse(&form.department);
    if department.is_none() {
        problems.push(format!(
            "department: `{}` is not a department (use one of {})",
            form.department,
            Department::ALL
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let spec = view_spec(&form.view);
    if spec.is_none() {
        problems.push(format!(
            "view: `{}` is not a view (use one of {})",
            form.view,
            VIEW_NAMES.join(", ")
        ));
    }
    if form.regions.is_empty() {
        problems.push(
            "regions: name at least one division-code prefix (\"22\" for the province)".into(),
        );
    }
    for region in &form.regions {
        if !matches!(region.len(), 2 | 4 | 6 | 9 | 12)
            || !region.bytes().all(|b| b.is_ascii_digit())
        {
            problems.push(format!(
                "regions: `{region}` is not a division-code prefix of 2, 4, 6, 9 or 12 digits"
            ));
        }
    }
    if let Some(url) = &form.base_url
        && !url.is_empty()
        && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        problems.push(format!("base_url: `{url}` is not an http(s) URL"));
    }
    let auth = compile_auth(&form.auth, problems);
    let format = match form.answer.format.as_deref() {
        None | Some("json") => AnswerFormat::Json,
        Some("xml") => AnswerFormat::Xml,
        Some(other) => {
            problems.push(format!("answer.format: `{other}` is not json or xml"));
            AnswerFormat::Json
        }
    };
    let encoding = match form.answer.encoding.as_deref() {
        None => None,
        Some(label) => match encoding_rs::Encoding::for_label(label.as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => None,
            Some(e) => Some(e),
            None => {
                problems.push(format!(
                    "answer.encoding: `{label}` is not a character set (e.g. UTF-8, GBK)"
                ));
                None
            }
        },
    };
    let code = form
        .answer
        .code
        .as_deref()
        .and_then(|c| selector("answer.code", c, problems));
    let mut errors = HashMap::new();
    for (code, word) in &form.errors {
        match meaning(word) {
            Some(m) => {
                errors.insert(code.clone(), m);
            }
            None => problems.push(format!(
                "errors.{code}: `{word}` is not a meaning (use {})",
                MEANINGS.join(", ")
            )),
        }
    }
    let person = compile_person(&form.person, problems);
    let batch = form.batch.as_ref().and_then(|b| compile_batch(b, problems));
    let village = form
        .village
        .as_ref()
        .and_then(|v| compile_village(v, problems));
    let (view, mapping) = match spec {
        Some((view, fields, lists)) => {
            let rules = mapping::compile_fields(
                "fields",
                view,
                fields,
                &form.fields,
                &["id_number"],
                problems,
            );
            let lists = compile_lists(view, lists, &form.lists, problems);
            let id_number = form
                .fields
                .get("id_number")
                .and_then(|f| selector("fields.id_number", f.parts().0, problems));
            (
                view,
                Mapping {
                    id_number,
                    fields: rules,
                    lists,
                },
            )
        }
        None => return None,
    };
    if (form.batch.is_some() || form.village.is_some()) && !form.fields.contains_key("id_number") {
        problems.push(
            "fields.id_number: a batch or village operation needs to know whose each record is: map id_number".into(),
        );
    }
    if let Some(n) = form.capacity.max_in_flight
        && n == 0
    {
        problems.push("capacity.max_in_flight: at least 1".into());
    }
    if let Some(rate) = form.capacity.rate_per_second
        && !(rate.is_finite() && rate > 0.0)
    {
        problems.push("capacity.rate_per_second: a positive number".into());
    }
    Some(Definition {
        name: form.name,
        department: department?,
        view,
        title: form.title,
        regions: form.regions,
        base_url: form.base_url.filter(|u| !u.is_empty()),
        auth: auth?,
        format,
        encoding,
        code,
        ok: form.answer.ok,
        errors,
        person: person?,
        batch,
        village,
        mapping,
        max_in_flight: form.capacity.max_in_flight,
        rate_per_second: form.capacity.rate_per_second,
        cache_ttl: form.freshness.cache_ttl,
        stale_for: form.freshness.stale_for,
    })
}

fn compile_auth(form: &super::form::AuthForm, problems: &mut Vec<String>) -> Option<AuthSpec> {
    let unused = |key: &str, set: bool, problems: &mut Vec<String>| {
        if set {
            problems.push(format!("auth.{key}: not used by auth kind `{}`", form.kind));
        }
    };
    match form.kind.as_str() {
        "api_key" => {
            unused("token_path", form.token_path.is_some(), problems);
            unused("client_auth", form.client_auth.is_some(), problems);
            unused("algorithm", form.algorithm.is_some(), problems);
            let header = form.header.clone().unwrap_or_else(|| "X-Api-Key".into());
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                problems.push(format!("auth.header: `{header}` is not a header name"));
                return None;
            }
            Some(AuthSpec::ApiKey { header })
        }
        "oauth2_client_credentials" => {
            unused("header", form.header.is_some(), problems);
            unused("algorithm", form.algorithm.is_some(), problems);
            let Some(token_path) = form.token_path.clone().filter(|p| p.starts_with('/')) else {
                problems.push("auth.token_path: where tokens are issued, a path from /".into());
                return None;
            };
            let basic = match form.client_auth.as_deref() {
                None | Some("basic") => true,
                Some("body") => false,
                Some(other) => {
                    problems.push(format!("auth.client_auth: `{other}` is not basic or body"));
                    return None;
                }
            };
            Some(AuthSpec::OAuth2 { token_path, basic })
        }
        "signed" => {
            unused("header", form.header.is_some(), problems);
            unused("token_path", form.token_path.is_some(), problems);
            unused("client_auth", form.client_auth.is_some(), problems);
            let algorithm = match form.algorithm.as_deref() {
                Some("hmac-sm3") => SignAlgorithm::HmacSm3,
                Some("hmac-sha256") => SignAlgorithm::HmacSha256,
                other => {
                    problems.push(format!(
                        "auth.algorithm: `{}` is not hmac-sm3 or hmac-sha256",
                        other.unwrap_or("")
                    ));
                    return None;
                }
            };
            Some(AuthSpec::Signed { algorithm })
        }
        other => {
            problems.push(format!(
                "auth.kind: `{other}` is not api_key, oauth2_client_credentials or signed"
            ));
            None
        }
    }
}

/// The `{name}` placeholders of a template.
fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    names
}

fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| json_strings(v, out)),
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn compile_request(
    at: &str,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    body: Option<&toml::Value>,
    content_type: Option<&str>,
    known: &[&str],
    problems: &mut Vec<String>,
) -> Option<Request> {
    let method = match method.to_ascii_uppercase().as_str() {
        "GET" => reqwest::Method::GET,
        "POST" => reqwest::Method::POST,
        other => {
            problems.push(format!("{at}.method: `{other}` is not GET or POST"));
            return None;
        }
    };
    if !path.starts_with('/') {
        problems.push(format!("{at}.path: `{path}` must start with /"));
    }
    let body = body.map(|b| serde_json::to_value(b).unwrap_or(serde_json::Value::Null));
    let mut texts: Vec<String> = vec![path.to_owned()];
    texts.extend(query.values().cloned());
    if let Some(body) = &body {
        json_strings(body, &mut texts);
    }
    for text in &texts {
        for name in placeholders(text) {
            if !known.contains(&name) {
                problems.push(format!(
                    "{at}: `{{{name}}}` is not known here (use {})",
                    known
                        .iter()
                        .map(|k| format!("{{{k}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    let content_type = match (content_type, &body) {
        (Some(given), _) => given.to_owned(),
        (None, Some(serde_json::Value::String(_))) => "text/xml; charset=utf-8".to_owned(),
        (None, _) => "application/json".to_owned(),
    };
    Some(Request {
        method,
        path: path.to_owned(),
        query: query.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        body,
        content_type,
    })
}

fn compile_person(steps: &[StepForm], problems: &mut Vec<String>) -> Option<Vec<Step>> {
    if steps.is_empty() {
        problems.push("person: at least one [[person]] request".into());
        return None;
    }
    let mut known: Vec<String> = vec!["id_number".into()];
    let mut compiled = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let at = format!("person[{i}]");
        let last = i + 1 == steps.len();
        let names: Vec<&str> = known.iter().map(String::as_str).collect();
        let request = compile_request(
            &at,
            &step.method,
            &step.path,
            &step.query,
            step.body.as_ref(),
            step.content_type.as_deref(),
            &names,
            problems,
        );
        let bind: Vec<(String, JsonPath)> = step
            .bind
            .iter()
            .filter_map(|(name, path)| {
                selector(&format!("{at}.bind.{name}"), path, problems).map(|p| (name.clone(), p))
            })
            .collect();
        known.extend(step.bind.keys().cloned());
        let records = match (&step.records, last) {
            (Some(r), true) => selector(&format!("{at}.records"), r, problems),
            (None, true) => {
                problems.push(format!(
                    "{at}.records: where the last answer carries the person's record"
                ));
                None
            }
            (Some(_), false) => {
                problems.push(format!("{at}.records: only the last request has records"));
                None
            }
            (None, false) => None,
        };
        if !last && step.bind.is_empty() {
            problems.push(format!(
                "{at}.bind: a request before the last must bind something for the next"
            ));
        }
        compiled.push(Step {
            request: request?,
            bind,
            records,
        });
    }
    Some(compiled)
}

fn compile_batch(form: &BatchForm, problems: &mut Vec<String>) -> Option<Batch> {
    let request = compile_request(
        "batch",
        &form.method,
        &form.path,
        &form.query,
        Some(&form.body),
        None,
        &["id_numbers"],
        problems,
    )?;
    let mut texts = Vec::new();
    if let Some(body) = &request.body {
        json_strings(body, &mut texts);
    }
    if matches!(request.body, Some(serde_json::Value::String(_))) {
        problems.push(
            "batch.body: a batch body is a table (JSON), with \"{id_numbers}\" for the list".into(),
        );
    } else if !texts.iter().any(|t| t == "{id_numbers}") {
        problems.push("batch.body: put \"{id_numbers}\" where the list of ID numbers goes".into());
    }
    if form.max == 0 {
        problems.push("batch.max: at least 1".into());
    }
    Some(Batch {
        request,
        max: form.max.max(1),
        records: selector("batch.records", &form.records, problems)?,
        not_found: form
            .not_found
            .as_deref()
            .and_then(|p| selector("batch.not_found", p, problems)),
    })
}

fn compile_village(form: &VillageForm, problems: &mut Vec<String>) -> Option<Village> {
    let paging = &form.paging;
    let (paging_rule, known): (Option<Paging>, &[&str]) = match paging.kind.as_str() {
        "page_number" => (
            Some(Paging::PageNumber {
                pages: paging
                    .pages
                    .as_deref()
                    .and_then(|p| selector("village.paging.pages", p, problems)),
            }),
            &["village", "page", "limit"],
        ),
        "offset" => (
            Some(Paging::Offset {
                total: paging
                    .total
                    .as_deref()
                    .and_then(|p| selector("village.paging.total", p, problems)),
            }),
            &["village", "offset", "limit"],
        ),
        "next_link" => match &paging.next {
            Some(next) => (
                selector("village.paging.next", next, problems)
                    .map(|next| Paging::NextLink { next }),
                &["village", "limit"],
            ),
            None => {
                problems
                    .push("village.paging.next: where the answer gives the next page's URL".into());
                (None, &["village", "limit"])
            }
        },
        other => {
            problems.push(format!(
                "village.paging.kind: `{other}` is not page_number, offset or next_link"
            ));
            (None, &["village"])
        }
    };
    let request = compile_request(
        "village",
        &form.method,
        &form.path,
        &form.query,
        None,
        None,
        known,
        problems,
    );
    let size = paging.size.unwrap_or(100);
    if size == 0 {
        problems.push("village.paging.size: at least 1".into());
    }
    Some(Village {
        request: request?,
        records: selector("village.records", &form.records, problems)?,
        paging: paging_rule?,
        size: size.max(1),
        max_pages: form.max_pages.unwrap_or(1000),
    })
}

fn compile_lists(
    view: &str,
    specs: &'static [ListSpec],
    form: &BTreeMap<String, super::form::ListForm>,
    problems: &mut Vec<String>,
) -> Vec<ListRule> {
    let mut rules = Vec::new();
    for (name, list) in form {
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            problems.push(format!(
                "lists.{name}: the view {view} has no list {name}{}",
                if specs.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (its lists: {})",
                        specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                    )
                }
            ));
            continue;
        };
        let section = format!("lists.{name}.fields");
        let fields =
            mapping::compile_fields(&section, view, spec.fields, &list.fields, &[], problems);
        if let Some(items) = selector(&format!("lists.{name}.items"), &list.items, problems) {
            rules.push(ListRule {
                spec: *spec,
                items,
                fields,
            });
        }
    }
    rules
}
