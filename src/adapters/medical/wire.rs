//! The medical insurance platform's JSON envelope (transaction 1101). Private to this
//! adapter; converts to the hub's view with `TryFrom`.

use serde::{Deserialize, Serialize};

use crate::adapters::decode::{self, FieldError};
use crate::domain::views::{
    EnrolmentStatus, MedicalEnrolment, MedicalIdentity, MedicalIdentityKind, MedicalInsuranceView,
    MedicalPersonType, MedicalScheme,
};

/// The request envelope.
#[derive(Debug, Serialize)]
pub(super) struct Request<'a> {
    pub infno: &'static str,
    pub msgid: String,
    pub mdtrtarea_admvs: &'a str,
    pub insuplc_admdvs: &'a str,
    pub recer_sys_code: &'a str,
    pub infver: &'static str,
    pub opter_type: &'static str,
    pub opter: &'a str,
    pub opter_name: &'a str,
    pub inf_time: String,
    pub sign_no: &'static str,
    pub input: Input<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct Input<'a> {
    pub data: PersonQuery<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct PersonQuery<'a> {
    pub psn_cert_type: &'static str,
    pub certno: &'a str,
    pub psn_name: &'static str,
}

/// The response envelope; `infcode` may come as a number or a string.
#[derive(Debug, Deserialize)]
pub(super) struct Response {
    pub infcode: serde_json::Value,
    pub err_msg: Option<String>,
    pub output: Option<Output>,
}

impl Response {
    /// 0 success, -1 failure; `None` if it is neither a number nor a numeric string.
    pub(super) fn infcode(&self) -> Option<i64> {
        match &self.infcode {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Output {
    pub baseinfo: BaseInfo,
    #[serde(default)]
    pub insuinfo: Vec<InsuInfo>,
    #[serde(default)]
    pub idetinfo: Vec<IdetInfo>,
}

#[derive(Debug, Deserialize)]
pub(super) struct BaseInfo {
    pub psn_no: String,
    pub certno: String,
    pub psn_name: String,
    pub gend: String,
    pub naty: String,
    pub brdy: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct InsuInfo {
    pub insutype: String,
    pub psn_type: String,
    pub psn_insu_stas: String,
    pub psn_insu_date: String,
    pub paus_insu_date: Option<String>,
    pub insuplc_admdvs: String,
    #[serde(default)]
    pub balc: f64,
}

#[derive(Debug, Deserialize)]
pub(super) struct IdetInfo {
    pub psn_idet_type: String,
    pub begntime: String,
    pub endtime: Option<String>,
}

impl TryFrom<InsuInfo> for MedicalEnrolment {
    type Error = FieldError;

    fn try_from(w: InsuInfo) -> Result<Self, FieldError> {
        Ok(Self {
            scheme: match w.insutype.trim() {
                "310" => MedicalScheme::EmployeeBasic,
                "390" => MedicalScheme::ResidentBasic,
                "392" => MedicalScheme::ResidentSeriousIllness,
                _ => return Err(FieldError::code("insutype")),
            },
            person_type: match w.psn_type.trim() {
                "1101" => MedicalPersonType::EmployeeInService,
                "1102" => MedicalPersonType::Retired,
                "1501" => MedicalPersonType::Resident,
                other => MedicalPersonType::Other(other.to_owned()),
            },
            status: match w.psn_insu_stas.trim() {
                "0" => EnrolmentStatus::NotInsured,
                "1" => EnrolmentStatus::Insured,
                "2" => EnrolmentStatus::Suspended,
                "3" => EnrolmentStatus::Terminated,
                _ => return Err(FieldError::code("psn_insu_stas")),
            },
            since: decode::iso_date("psn_insu_date", &w.psn_insu_date)?,
            suspended_since: match w.paus_insu_date.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(d) => Some(decode::iso_date("paus_insu_date", d)?),
            },
            insured_division: w.insuplc_admdvs.trim().to_owned(),
            account_balance: decode::money_number("balc", w.balc)?,
        })
    }
}

impl TryFrom<IdetInfo> for MedicalIdentity {
    type Error = FieldError;

    fn try_from(w: IdetInfo) -> Result<Self, FieldError> {
        Ok(Self {
            kind: match w.psn_idet_type.trim() {
                "01" => MedicalIdentityKind::Dibao,
                "02" => MedicalIdentityKind::ExtremelyPoor,
                "03" => MedicalIdentityKind::Monitored,
                other => MedicalIdentityKind::Other(other.to_owned()),
            },
            from: decode::date_time("begntime", &w.begntime)?,
            until: match w.endtime.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => Some(decode::date_time("endtime", t)?),
            },
        })
    }
}

impl TryFrom<Output> for MedicalInsuranceView {
    type Error = FieldError;

    fn try_from(w: Output) -> Result<Self, FieldError> {
        let base = w.baseinfo;
        Ok(Self {
            person_number: base.psn_no,
            id_number: decode::id_number("certno", &base.certno)?,
            name: base.psn_name,
            sex: decode::sex("gend", &base.gend)?,
            ethnicity: decode::ethnicity("naty", &base.naty)?,
            birth_date: decode::iso_date("brdy", &base.brdy)?,
            enrolments: w
                .insuinfo
                .into_iter()
                .map(MedicalEnrolment::try_from)
                .collect::<Result<_, _>>()?,
            identities: w
                .idetinfo
                .into_iter()
                .map(MedicalIdentity::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_person_converts() {
        let text = r#"{"infcode":0,"inf_refmsgid":"x","refmsg_time":"2026-01-01 00:00:00",
          "respond_time":"2026-01-01 00:00:00","err_msg":null,"output":{
          "baseinfo":{"psn_no":"2200000000001","psn_cert_type":"01","certno":"220122195603020017",
            "psn_name":"王秀英","gend":"2","naty":"01","brdy":"1956-03-02","age":70},
          "insuinfo":[{"insutype":"390","psn_type":"1501","psn_insu_stas":"1","psn_insu_date":"2010-01-01",
            "paus_insu_date":null,"insuplc_admdvs":"220122","balc":0.0}],
          "idetinfo":[{"psn_idet_type":"01","begntime":"2019-05-01 00:00:00","endtime":null}]}}"#;
        let r: Response = serde_json::from_str(text).unwrap();
        assert_eq!(r.infcode(), Some(0));
        let v = MedicalInsuranceView::try_from(r.output.unwrap()).unwrap();
        assert_eq!(v.enrolments[0].scheme, MedicalScheme::ResidentBasic);
        assert_eq!(v.enrolments[0].status, EnrolmentStatus::Insured);
        assert_eq!(v.identities[0].kind, MedicalIdentityKind::Dibao);
        assert_eq!(v.identities[0].from.to_string(), "2019-05-01");
        assert_eq!(v.birth_date.to_string(), "1956-03-02");
    }

    #[test]
    fn infcode_as_text_is_read() {
        let r: Response =
            serde_json::from_str(r#"{"infcode":"-1","err_msg":"未查询到该人员参保信息"}"#).unwrap();
        assert_eq!(r.infcode(), Some(-1));
    }
}
