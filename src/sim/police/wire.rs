//! The household register's JSON, fields in pinyin initials (private to this simulator).

use serde::{Deserialize, Serialize};

/// The form of the token request.
#[derive(Debug)]
pub(super) struct TokenForm {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct OAuthError {
    pub error: &'static str,
    pub error_description: String,
}

#[derive(Debug, Serialize)]
pub(super) struct ApiError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct PersonQuery {
    pub sfzh: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// One person of the register.
#[derive(Debug, Serialize)]
pub(super) struct Ry {
    pub sfzh: String,
    pub xm: String,
    pub xb: &'static str,
    pub mz: &'static str,
    pub csrq: String,
    pub hh: String,
    pub yhzgx: &'static str,
    pub hjdz: String,
    /// 12-digit code of the village or community (村居代码).
    pub cjdm: String,
    /// 1 normal, 2 moved out, 3 cancelled on death.
    pub hjzt: &'static str,
    pub swrq: Option<String>,
    /// Date of moving out (迁出日期).
    pub qcrq: Option<String>,
    /// ID card valid until: `YYYYMMDD`, `长期`, or null when no card was issued.
    pub sfzyxqz: Option<String>,
    /// Contact phone (联系电话).
    pub lxdh: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct Hu {
    pub hh: String,
    pub hjdz: String,
    pub cjdm: String,
    pub hzxm: String,
    pub cys: Vec<Ry>,
}

#[derive(Debug, Serialize)]
pub(super) struct Page {
    pub items: Vec<Ry>,
    pub next_cursor: Option<String>,
    pub total: usize,
}
