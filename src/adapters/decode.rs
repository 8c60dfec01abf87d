//! Reading the departments' field formats. Failures name the field and what was wrong
//! with it, never its value (values are personal data).

use chrono::{NaiveDate, NaiveDateTime};

use super::error::AdapterError;
use crate::domain::views::{Money, YearMonth};
use crate::domain::{Department, Ethnicity, IdNumber, Relationship, Sex};

/// A field that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: &'static str,
    pub problem: &'static str,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, problem: &'static str) -> Self {
        Self { field, problem }
    }

    pub(crate) fn code(field: &'static str) -> Self {
        Self::new(field, "unknown code")
    }

    pub(crate) fn into_error(self, department: Department) -> AdapterError {
        AdapterError::decode(
            department,
            format!("field {}: {}", self.field, self.problem),
        )
    }
}

/// `YYYYMMDD`.
pub(crate) fn yyyymmdd(field: &'static str, text: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(text.trim(), "%Y%m%d")
        .map_err(|_| FieldError::new(field, "not a date YYYYMMDD"))
}

/// `YYYY-MM-DD`.
pub(crate) fn iso_date(field: &'static str, text: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "not a date YYYY-MM-DD"))
}

/// `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`, as a date.
pub(crate) fn date_time(field: &'static str, text: &str) -> Result<NaiveDate, FieldError> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.date())
        .or_else(|_| iso_date(field, text))
        .map_err(|_| FieldError::new(field, "not a date-time YYYY-MM-DD HH:MM:SS"))
}

/// `YYYYMM` (`dash` false) or `YYYY-MM` (`dash` true).
pub(crate) fn year_month(
    field: &'static str,
    text: &str,
    dash: bool,
) -> Result<YearMonth, FieldError> {
    let text = text.trim();
    let bad = || {
        FieldError::new(
            field,
            if dash {
                "not a month YYYY-MM"
            } else {
                "not a month YYYYMM"
            },
        )
    };
    let (year, month) = match (dash, text.len()) {
        (false, 6) => (text.get(..4), text.get(4..)),
        (true, 7) if text.as_bytes().get(4) == Some(&b'-') => (text.get(..4), text.get(5..)),
        _ => return Err(bad()),
    };
    let digits = |s: Option<&str>| {
        s.filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    match (digits(year), digits(month)) {
        (Some(y), Some(m)) => YearMonth::new(y as i32, m).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// An optional month: absent, empty or whitespace is `None`.
pub(crate) fn opt_year_month(
    field: &'static str,
    text: Option<&str>,
    dash: bool,
) -> Result<Option<YearMonth>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => year_month(field, t, dash).map(Some),
    }
}

/// Yuan as a JSON number, to fen.
pub(crate) fn money_number(field: &'static str, yuan: f64) -> Result<Money, FieldError> {
    if !yuan.is_finite() || yuan.abs() > 1e12 {
        return Err(FieldError::new(field, "not an amount"));
    }
    Ok(Money::from_fen((yuan * 100.0).round() as i64))
}

/// Yuan as text with at most two decimals (`612.50`), to fen.
pub(crate) fn money_text(field: &'static str, text: &str) -> Result<Money, FieldError> {
    let bad = || FieldError::new(field, "not an amount with two decimals");
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 12
        || fraction.len() > 2
        || !all_digits(whole)
        || !all_digits(fraction)
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let fen = whole * 100 + fraction;
    Ok(Money::from_fen(if negative { -fen } else { fen }))
}

/// An ID number a department gave.
pub(crate) fn id_number(field: &'static str, text: &str) -> Result<IdNumber, FieldError> {
    IdNumber::parse(text).map_err(|_| FieldError::new(field, "not a valid ID number"))
}

/// A GB/T 2261.1 sex code.
pub(crate) fn sex(field: &'static str, code: &str) -> Result<Sex, FieldError> {
    Sex::from_code(code).ok_or(FieldError::code(field))
}

/// A GB 3304 ethnicity code; a valid two-digit code outside the hub's table is `Other`.
pub(crate) fn ethnicity(field: &'static str, code: &str) -> Result<Ethnicity, FieldError> {
    let code = code.trim();
    match Ethnicity::from_code(code) {
        Some(e) => Ok(e),
        None if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) => Ok(Ethnicity::Other),
        None => Err(FieldError::code(field)),
    }
}

/// A GB/T 4761 relationship code (detailed codes read as their group).
pub(crate) fn relationship(field: &'static str, code: &str) -> Result<Relationship, FieldError> {
    Relationship::from_code(code).ok_or(FieldError::code(field))
}

/// What a JSON parse failure says, without any of the text it failed on.
pub(crate) fn json_problem(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => "the answer is cut short (incomplete JSON)",
        Category::Syntax => "the answer is not valid JSON",
        Category::Data => "the answer's JSON does not match the protocol",
        Category::Io => "the answer could not be read",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn months_dates_and_money() {
        assert_eq!(
            year_month("m", "202403", false).unwrap().to_string(),
            "2024-03"
        );
        assert_eq!(year_month("m", "2024-03", true).unwrap().month, 3);
        assert!(year_month("m", "202413", false).is_err());
        assert!(year_month("m", "2024-3", true).is_err());
        assert!(year_month("m", "+20403", false).is_err());
        assert_eq!(opt_year_month("m", Some(" "), true).unwrap(), None);
        assert_eq!(yyyymmdd("d", "19560302").unwrap().to_string(), "1956-03-02");
        assert!(yyyymmdd("d", "19560230").is_err());
        assert_eq!(
            date_time("t", "2020-01-01 00:00:00").unwrap().to_string(),
            "2020-01-01"
        );
        assert_eq!(money_text("a", "612.50").unwrap().fen, 61250);
        assert_eq!(money_text("a", "0.5").unwrap().fen, 50);
        assert_eq!(money_text("a", "12").unwrap().to_string(), "12.00");
        assert!(money_text("a", "1.234").is_err());
        assert!(money_text("a", "").is_err());
        assert_eq!(money_number("a", 1863.4).unwrap().fen, 186340);
        assert!(money_number("a", f64::NAN).is_err());
    }

    #[test]
    fn field_errors_name_the_field_not_the_value() {
        let e = yyyymmdd("aac006", "19991399")
            .unwrap_err()
            .into_error(Department::SocialSecurity);
        let text = e.to_string();
        assert!(
            text.contains("aac006") && !text.contains("19991399"),
            "{text}"
        );
    }
}
