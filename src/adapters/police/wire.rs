//! The household register's JSON (pinyin-initial field names) and the OAuth2 token
//! answer. Private to this adapter; converts to the hub's views with `TryFrom`.

use serde::Deserialize;

use crate::adapters::decode::{self, FieldError};
use crate::domain::views::{
    HouseholdView, IdCardValidity, RegistrationPage, RegistrationStatus, RegistrationView,
};

#[derive(Debug, Deserialize)]
pub(super) struct TokenResponse {
    pub access_token: String,
    pub token_type: Option<String>,
    pub expires_in: Option<u64>,
}

/// `{"code","message"}` of a failed resource call.
#[derive(Debug, Deserialize)]
pub(super) struct ApiError {
    pub code: String,
}

/// One person (人员).
#[derive(Debug, Deserialize)]
pub(super) struct Ry {
    pub sfzh: String,
    pub xm: String,
    pub xb: String,
    pub mz: String,
    pub csrq: String,
    pub hh: String,
    pub yhzgx: String,
    pub hjdz: String,
    pub cjdm: String,
    pub hjzt: String,
    pub swrq: Option<String>,
    pub qcrq: Option<String>,
    pub sfzyxqz: Option<String>,
    pub lxdh: Option<String>,
}

/// One household (户).
#[derive(Debug, Deserialize)]
pub(super) struct Hu {
    pub hh: String,
    pub hjdz: String,
    pub cjdm: String,
    pub hzxm: String,
    #[serde(default)]
    pub cys: Vec<Ry>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Page {
    pub items: Vec<Ry>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

fn opt_date(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<chrono::NaiveDate>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => decode::yyyymmdd(field, t).map(Some),
    }
}

impl TryFrom<Ry> for RegistrationView {
    type Error = FieldError;

    fn try_from(w: Ry) -> Result<Self, FieldError> {
        let id_card = match w.sfzyxqz.as_deref().map(str::trim) {
            None | Some("") => IdCardValidity::NoCard,
            Some("长期") => IdCardValidity::LongTerm,
            Some(d) => IdCardValidity::Until(decode::yyyymmdd("sfzyxqz", d)?),
        };
        Ok(Self {
            id_number: decode::id_number("sfzh", &w.sfzh)?,
            name: w.xm,
            sex: decode::sex("xb", &w.xb)?,
            ethnicity: decode::ethnicity("mz", &w.mz)?,
            birth_date: decode::yyyymmdd("csrq", &w.csrq)?,
            household_number: w.hh.trim().to_owned(),
            relationship: decode::relationship("yhzgx", &w.yhzgx)?,
            address: w.hjdz,
            village_code: w.cjdm.trim().to_owned(),
            status: match w.hjzt.trim() {
                "1" => RegistrationStatus::Normal,
                "2" => RegistrationStatus::MovedOut,
                "3" => RegistrationStatus::Deceased,
                _ => return Err(FieldError::code("hjzt")),
            },
            death_date: opt_date("swrq", w.swrq.as_deref())?,
            moved_out_date: opt_date("qcrq", w.qcrq.as_deref())?,
            id_card,
            phone: w.lxdh.filter(|p| !p.trim().is_empty()),
        })
    }
}

impl TryFrom<Hu> for HouseholdView {
    type Error = FieldError;

    fn try_from(w: Hu) -> Result<Self, FieldError> {
        Ok(Self {
            number: w.hh.trim().to_owned(),
            address: w.hjdz,
            village_code: w.cjdm.trim().to_owned(),
            head_name: w.hzxm,
            members: w
                .cys
                .into_iter()
                .map(RegistrationView::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

impl TryFrom<Page> for RegistrationPage {
    type Error = FieldError;

    fn try_from(w: Page) -> Result<Self, FieldError> {
        Ok(Self {
            items: w
                .items
                .into_iter()
                .map(RegistrationView::try_from)
                .collect::<Result<_, _>>()?,
            next_cursor: w.next_cursor.filter(|c| !c.is_empty()),
            total: w.total,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RY: &str = r#"{"sfzh":"220122195603020017","xm":"王秀英","xb":"2","mz":"01","csrq":"19560302",
        "hh":"2201221012010001","yhzgx":"02","hjdz":"吉林省长春市农安县","cjdm":"220122101201",
        "hjzt":"3","swrq":"20250101","qcrq":null,"sfzyxqz":"长期","lxdh":null}"#;

    #[test]
    fn a_person_converts_with_death_and_long_term_card() {
        let v = RegistrationView::try_from(serde_json::from_str::<Ry>(RY).unwrap()).unwrap();
        assert_eq!(v.status, RegistrationStatus::Deceased);
        assert_eq!(v.death_date.unwrap().to_string(), "2025-01-01");
        assert_eq!(v.id_card, IdCardValidity::LongTerm);
        assert_eq!(v.phone, None);
    }

    #[test]
    fn card_dates_and_missing_cards() {
        let text = RY.replace("\"长期\"", "\"20300101\"");
        let v = RegistrationView::try_from(serde_json::from_str::<Ry>(&text).unwrap()).unwrap();
        assert!(matches!(v.id_card, IdCardValidity::Until(_)));
        let text = RY.replace("\"长期\"", "null");
        let v = RegistrationView::try_from(serde_json::from_str::<Ry>(&text).unwrap()).unwrap();
        assert_eq!(v.id_card, IdCardValidity::NoCard);
        let text = RY.replace("\"hjzt\":\"3\"", "\"hjzt\":\"9\"");
        let e = RegistrationView::try_from(serde_json::from_str::<Ry>(&text).unwrap()).unwrap_err();
        assert_eq!(e.field, "hjzt");
    }
}
