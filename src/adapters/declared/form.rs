//! The TOML shape of a department definition, as written. `definition` checks it and
//! compiles it; nothing else reads these types.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DefinitionForm {
    /// The system's name: its settings are `[departments.systems.NAME]`.
    pub name: String,
    /// The `dept` value of the department that runs it.
    pub department: String,
    /// The view it fills.
    pub view: String,
    #[serde(default)]
    pub title: String,
    /// The division-code prefixes whose residents it serves (the longest match wins).
    #[serde(default)]
    pub regions: Vec<String>,
    /// The address, unless the settings give one.
    #[serde(default)]
    pub base_url: Option<String>,
    pub auth: AuthForm,
    #[serde(default)]
    pub answer: AnswerForm,
    /// The department's failure codes → what they mean to the hub.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
    /// The lookup of one person: one request, or several whose earlier answers bind
    /// values for the later ones.
    pub person: Vec<StepForm>,
    pub batch: Option<BatchForm>,
    pub village: Option<VillageForm>,
    pub fields: BTreeMap<String, FieldForm>,
    #[serde(default)]
    pub lists: BTreeMap<String, ListForm>,
    #[serde(default)]
    pub capacity: CapacityForm,
    #[serde(default)]
    pub freshness: FreshnessForm,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthForm {
    /// `api_key`, `oauth2_client_credentials` or `signed`.
    pub kind: String,
    /// api_key: the header that carries the key.
    pub header: Option<String>,
    /// oauth2: where tokens are issued.
    pub token_path: Option<String>,
    /// oauth2: `basic` (HTTP Basic) or `body` (form fields).
    pub client_auth: Option<String>,
    /// signed: `hmac-sm3` or `hmac-sha256`.
    pub algorithm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerForm {
    /// `json` (the default) or `xml`.
    pub format: Option<String>,
    /// The answers' character set: `UTF-8` (the default) or `GBK`.
    pub encoding: Option<String>,
    /// Where the answer carries the department's result code; without it (or where it
    /// is absent), the HTTP status decides.
    pub code: Option<String>,
    /// The codes that mean success.
    #[serde(default)]
    pub ok: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepForm {
    #[serde(default = "get")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// A JSON body (a table), or a text template (a string, e.g. a SOAP envelope).
    pub body: Option<toml::Value>,
    /// The body's media type; by default JSON for a table and XML for a string.
    pub content_type: Option<String>,
    /// Names bound from this answer for the following steps; nothing selected means
    /// the person is not found.
    #[serde(default)]
    pub bind: BTreeMap<String, String>,
    /// The person's record(s) in the last step's answer.
    pub records: Option<String>,
}

fn get() -> String {
    "GET".to_owned()
}

fn post() -> String {
    "POST".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchForm {
    #[serde(default = "post")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// The body, where the string `"{id_numbers}"` stands for the list asked.
    pub body: toml::Value,
    /// People per call at most.
    pub max: usize,
    pub records: String,
    /// Where the answer lists the numbers it does not know.
    pub not_found: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VillageForm {
    #[serde(default = "get")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub records: String,
    pub paging: PagingForm,
    /// Pages walked at most (a bound on a department that never says "last").
    pub max_pages: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PagingForm {
    /// `page_number`, `offset` or `next_link`.
    pub kind: String,
    /// The page size sent as `{limit}`.
    pub size: Option<u32>,
    /// page_number: where the answer says how many pages there are.
    pub pages: Option<String>,
    /// offset: where the answer says how many records there are.
    pub total: Option<String>,
    /// next_link: where the answer gives the next page's URL.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum FieldForm {
    Path(String),
    Full {
        path: String,
        codes: Option<BTreeMap<String, String>>,
        date: Option<String>,
    },
}

impl FieldForm {
    pub(crate) fn parts(&self) -> (&str, Option<&BTreeMap<String, String>>, Option<&str>) {
        match self {
            Self::Path(path) => (path, None, None),
            Self::Full { path, codes, date } => (path, codes.as_ref(), date.as_deref()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListForm {
    pub items: String,
    pub fields: BTreeMap<String, FieldForm>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacityForm {
    pub max_in_flight: Option<u32>,
    pub rate_per_second: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FreshnessForm {
    #[serde(default, with = "humantime_serde")]
    pub cache_ttl: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub stale_for: Option<Duration>,
}
