//! The social security platform's JSON (金保 field codes; private to this simulator).

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
pub(super) struct Envelope<T: Serialize> {
    pub code: &'static str,
    pub message: String,
    pub data: Option<T>,
}

#[derive(Debug, Deserialize)]
pub(super) struct BatchRequest {
    pub aac002: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Paging {
    pub page: Option<String>,
    #[serde(rename = "pageSize")]
    pub page_size: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Insurance {
    pub aae140: &'static str,
    pub aac031: &'static str,
    pub aae030: String,
    pub aae031: Option<String>,
}

/// The pension in payment (待遇): monthly amount `aic166` in yuan, start month `aic160`,
/// status `aae116` (1 in payment, 2 stopped), and the last eligibility certification.
#[derive(Debug, Serialize)]
pub(super) struct Aic {
    pub aae140: &'static str,
    pub aic166: f64,
    pub aic160: String,
    pub aae116: &'static str,
    pub aic161: Option<String>,
    pub last_cert_date: String,
}

#[derive(Debug, Serialize)]
pub(super) struct PersonInsurances {
    pub aac001: String,
    pub aac002: String,
    pub aac003: String,
    pub aac004: &'static str,
    pub aac006: String,
    pub list: Vec<Insurance>,
    pub aic: Option<Aic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    #[serde(rename = "pageSize", skip_serializing_if = "Option::is_none")]
    pub page_size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
}

#[derive(Debug, Serialize)]
pub(super) struct BatchData {
    pub list: Vec<PersonInsurances>,
    #[serde(rename = "notFound")]
    pub not_found: Vec<String>,
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub(super) struct Training {
    pub course: &'static str,
    pub aae030: String,
    pub aae031: String,
    pub result: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct EmploymentData {
    pub aac001: String,
    pub aac002: String,
    pub aac003: String,
    /// 0 not registered, 1 employed, 2 registered unemployed, 3 in training.
    pub status: &'static str,
    pub status_name: &'static str,
    pub trainings: Vec<Training>,
    pub page: usize,
    #[serde(rename = "pageSize")]
    pub page_size: usize,
    pub total: usize,
}
