//! The medical insurance platform's JSON envelope (private to this simulator).

use serde::{Deserialize, Serialize};

/// The request envelope. The fields checked here are required; `recer_sys_code`,
/// `infver`, `opter_type`, `opter`, `opter_name` and `sign_no` are accepted and not used.
#[derive(Debug, Deserialize)]
pub(super) struct Request {
    pub infno: String,
    pub msgid: String,
    pub mdtrtarea_admvs: String,
    pub inf_time: String,
    pub input: serde_json::Value,
}

/// `input.data` of transaction 1101.
#[derive(Debug, Deserialize)]
pub(super) struct PersonQuery {
    pub psn_cert_type: String,
    pub certno: String,
}

#[derive(Debug, Serialize)]
pub(super) struct Response {
    pub infcode: i32,
    pub inf_refmsgid: String,
    pub refmsg_time: String,
    pub respond_time: String,
    pub err_msg: Option<String>,
    pub output: Option<Output>,
}

#[derive(Debug, Serialize)]
pub(super) struct Output {
    pub baseinfo: BaseInfo,
    pub insuinfo: Vec<InsuInfo>,
    pub idetinfo: Vec<IdetInfo>,
}

#[derive(Debug, Serialize)]
pub(super) struct BaseInfo {
    pub psn_no: String,
    pub psn_cert_type: String,
    pub certno: String,
    pub psn_name: String,
    pub gend: String,
    pub naty: String,
    pub brdy: String,
    pub age: u32,
}

#[derive(Debug, Serialize)]
pub(super) struct InsuInfo {
    pub insutype: String,
    pub psn_type: String,
    pub psn_insu_stas: String,
    pub psn_insu_date: String,
    pub paus_insu_date: Option<String>,
    pub insuplc_admdvs: String,
    pub balc: f64,
}

#[derive(Debug, Serialize)]
pub(super) struct IdetInfo {
    pub psn_idet_type: String,
    pub begntime: String,
    pub endtime: Option<String>,
}
