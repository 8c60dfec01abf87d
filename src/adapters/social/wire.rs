//! The social security platform's JSON: an envelope `{code, message, data}` and 金保
//! field codes. Private to this adapter; converts to the hub's views with `TryFrom`.

use serde::{Deserialize, Serialize};

use crate::adapters::decode::{self, FieldError};
use crate::domain::views::{
    ContributionStatus, EmploymentStatus, EmploymentView, Pension, PensionStatus, SocialInsurance,
    SocialInsuranceKind, SocialInsuranceView, Training,
};

/// `code` of a success.
pub(super) const OK: &str = "0000";
/// `code` of "no such person".
pub(super) const NOT_FOUND: &str = "2001";

#[derive(Debug, Deserialize)]
pub(super) struct Envelope<T> {
    pub code: String,
    pub data: Option<T>,
}

#[derive(Debug, Serialize)]
pub(super) struct BatchRequest<'a> {
    pub aac002: &'a [&'a str],
}

#[derive(Debug, Deserialize)]
pub(super) struct BatchData {
    pub list: Vec<PersonInsurances>,
    #[serde(rename = "notFound", default)]
    pub not_found: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PersonInsurances {
    pub aac001: String,
    pub aac002: String,
    pub aac003: String,
    pub aac004: String,
    pub aac006: String,
    #[serde(default)]
    pub list: Vec<Insurance>,
    pub aic: Option<Aic>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Insurance {
    pub aae140: String,
    pub aac031: String,
    pub aae030: String,
    pub aae031: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Aic {
    pub aae140: String,
    pub aic166: f64,
    pub aic160: String,
    pub aae116: String,
    pub aic161: Option<String>,
    pub last_cert_date: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct EmploymentData {
    pub aac001: String,
    pub aac002: String,
    pub aac003: String,
    pub status: String,
    #[serde(default)]
    pub trainings: Vec<TrainingRecord>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TrainingRecord {
    pub course: String,
    pub aae030: String,
    pub aae031: Option<String>,
    pub result: String,
}

fn kind(field: &'static str, code: &str) -> Result<SocialInsuranceKind, FieldError> {
    Ok(match code.trim() {
        "110" => SocialInsuranceKind::EnterpriseEmployeePension,
        "120" => SocialInsuranceKind::InstitutionPension,
        "170" => SocialInsuranceKind::ResidentPension,
        "210" => SocialInsuranceKind::Unemployment,
        "410" => SocialInsuranceKind::WorkInjury,
        _ => return Err(FieldError::code(field)),
    })
}

impl TryFrom<Insurance> for SocialInsurance {
    type Error = FieldError;

    fn try_from(w: Insurance) -> Result<Self, FieldError> {
        Ok(Self {
            kind: kind("aae140", &w.aae140)?,
            status: match w.aac031.trim() {
                "1" => ContributionStatus::Paying,
                "2" => ContributionStatus::Suspended,
                "3" => ContributionStatus::Terminated,
                _ => return Err(FieldError::code("aac031")),
            },
            start: decode::year_month("aae030", &w.aae030, false)?,
            end: decode::opt_year_month("aae031", w.aae031.as_deref(), false)?,
        })
    }
}

impl TryFrom<Aic> for Pension {
    type Error = FieldError;

    fn try_from(w: Aic) -> Result<Self, FieldError> {
        Ok(Self {
            scheme: kind("aic.aae140", &w.aae140)?,
            monthly: decode::money_number("aic166", w.aic166)?,
            start: decode::year_month("aic160", &w.aic160, false)?,
            status: match w.aae116.trim() {
                "1" => PensionStatus::InPayment,
                "2" => PensionStatus::Stopped,
                _ => return Err(FieldError::code("aae116")),
            },
            stopped: decode::opt_year_month("aic161", w.aic161.as_deref(), false)?,
            last_certified: match w.last_cert_date.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(d) => Some(decode::iso_date("last_cert_date", d)?),
            },
        })
    }
}

impl TryFrom<PersonInsurances> for SocialInsuranceView {
    type Error = FieldError;

    fn try_from(w: PersonInsurances) -> Result<Self, FieldError> {
        Ok(Self {
            person_number: w.aac001,
            id_number: decode::id_number("aac002", &w.aac002)?,
            name: w.aac003,
            sex: decode::sex("aac004", &w.aac004)?,
            birth_date: decode::yyyymmdd("aac006", &w.aac006)?,
            insurances: w
                .list
                .into_iter()
                .map(SocialInsurance::try_from)
                .collect::<Result<_, _>>()?,
            pension: w.aic.map(Pension::try_from).transpose()?,
        })
    }
}

impl TryFrom<EmploymentData> for EmploymentView {
    type Error = FieldError;

    fn try_from(w: EmploymentData) -> Result<Self, FieldError> {
        Ok(Self {
            person_number: w.aac001,
            id_number: decode::id_number("aac002", &w.aac002)?,
            name: w.aac003,
            status: match w.status.trim() {
                "0" => EmploymentStatus::NotRegistered,
                "1" => EmploymentStatus::Employed,
                "2" => EmploymentStatus::RegisteredUnemployed,
                "3" => EmploymentStatus::InTraining,
                _ => return Err(FieldError::code("status")),
            },
            trainings: w
                .trainings
                .into_iter()
                .map(|t| {
                    Ok(Training {
                        course: t.course,
                        start: decode::year_month("trainings.aae030", &t.aae030, false)?,
                        end: decode::opt_year_month(
                            "trainings.aae031",
                            t.aae031.as_deref(),
                            false,
                        )?,
                        result: t.result,
                    })
                })
                .collect::<Result<_, FieldError>>()?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PERSON: &str = r#"{"code":"0000","message":"成功","data":{
        "aac001":"0012345678","aac002":"220122195603020017","aac003":"王秀英","aac004":"2",
        "aac006":"19560302",
        "list":[{"aae140":"170","aac031":"1","aae030":"200907","aae031":null},
                {"aae140":"110","aac031":"3","aae030":"198001","aae031":"200612"}],
        "aic":{"aae140":"170","aic166":186.4,"aic160":"201604","aae116":"1","aic161":null,
               "last_cert_date":"2025-03-14"},
        "page":1,"pageSize":100,"total":2}}"#;

    #[test]
    fn a_person_converts_with_pension_and_schemes() {
        let env: Envelope<PersonInsurances> = serde_json::from_str(PERSON).unwrap();
        assert_eq!(env.code, OK);
        let view = SocialInsuranceView::try_from(env.data.unwrap()).unwrap();
        assert_eq!(view.insurances.len(), 2);
        assert_eq!(
            view.insurances[0].kind,
            SocialInsuranceKind::ResidentPension
        );
        assert_eq!(view.insurances[1].end.unwrap().to_string(), "2006-12");
        let pension = view.pension.unwrap();
        assert_eq!(pension.monthly.fen, 18640);
        assert_eq!(pension.status, PensionStatus::InPayment);
        assert_eq!(pension.last_certified.unwrap().to_string(), "2025-03-14");
        assert_eq!(view.birth_date.to_string(), "1956-03-02");
    }

    #[test]
    fn an_unknown_code_is_a_field_error() {
        let text = PERSON.replace("\"aac031\":\"1\"", "\"aac031\":\"7\"");
        let env: Envelope<PersonInsurances> = serde_json::from_str(&text).unwrap();
        let e = SocialInsuranceView::try_from(env.data.unwrap()).unwrap_err();
        assert_eq!(e.field, "aac031");
    }

    #[test]
    fn employment_converts() {
        let text = r#"{"aac001":"1","aac002":"220122195603020017","aac003":"王","status":"3",
            "status_name":"培训中","trainings":[{"course":"电工","aae030":"202603","aae031":"202605","result":"在训"}],
            "page":1,"pageSize":20,"total":1}"#;
        let w: EmploymentData = serde_json::from_str(text).unwrap();
        let v = EmploymentView::try_from(w).unwrap();
        assert_eq!(v.status, EmploymentStatus::InTraining);
        assert_eq!(v.trainings[0].start.to_string(), "2026-03");
    }
}
