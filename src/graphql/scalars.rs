//! The schema's own scalars, each with the specification its values follow
//! (`@specifiedBy`). The date-time scalar is the library's, which names RFC 3339 itself;
//! its description is replaced in [`super::schema`].

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day (its GraphQL name kept for the clients that declare variables of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A calendar day without a time of day or time zone, as ISO 8601 writes it
/// (`YYYY-MM-DD`): `2026-11-28`.
#[Scalar(
    name = "NaiveDate",
    specified_by_url = "https://www.iso.org/iso-8601-date-and-time-format.html"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("expected a date as YYYY-MM-DD")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Self(day)
    }
}

impl From<Date> for NaiveDate {
    fn from(day: Date) -> Self {
        day.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_reads_and_writes_as_iso_8601() {
        let day = Date::parse(Value::String("2026-11-28".into())).ok();
        assert_eq!(day, NaiveDate::from_ymd_opt(2026, 11, 28).map(Date));
        assert_eq!(
            day.map(|d| d.to_value()),
            Some(Value::String("2026-11-28".into()))
        );
        assert!(Date::parse(Value::String("28.11.2026".into())).is_err());
        assert!(Date::parse(Value::Number(20261128.into())).is_err());
    }
}
