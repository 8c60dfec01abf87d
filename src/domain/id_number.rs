//! Resident identity card numbers (公民身份号码) after GB 11643-1999.
//!
//! 18 characters: a 6-digit GB/T 2260 address code (where the number was first issued),
//! the birth date `YYYYMMDD`, a 3-digit sequence (odd for men, even for women) and a check
//! character computed over the first 17 digits (ISO 7064 MOD 11-2).

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::codes::Sex;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Why a string is not a valid resident ID number. The messages are meant for the person
/// who typed the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters, this one has {0}")]
    WrongLength(usize),
    #[error(
        "character {position} of the ID number is {found:?}: only digits are allowed, and X only as the last character"
    )]
    BadCharacter { position: usize, found: char },
    #[error("the address code {0} at the start of the ID number is not a county code")]
    BadAddressCode(String),
    #[error(
        "the address code {0} at the start of the ID number is a development zone's statistical code (county part 70 to 79), which never issues ID numbers"
    )]
    DevelopmentZoneCode(String),
    #[error("the birth date {0} in the ID number (characters 7 to 14) does not exist")]
    ImpossibleBirthDate(String),
    #[error("the birth date {0} in the ID number (characters 7 to 14) lies in the future")]
    BirthDateInFuture(String),
    #[error("the sequence number 000 in the ID number (characters 15 to 17) is never issued")]
    ZeroSequence,
    #[error(
        "the last character of the ID number should be {expected}, found {found}: a character was probably mistyped"
    )]
    WrongCheckCharacter { expected: char, found: char },
}

/// A valid 18-character resident ID number. Stored as its ASCII bytes (`Copy`, 18 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber([u8; 18]);

/// Today's date in China (UTC+8): a birth date after it has not happened anywhere the
/// number could have been issued.
pub fn china_today() -> NaiveDate {
    (chrono::Utc::now() + chrono::TimeDelta::hours(8)).date_naive()
}

impl IdNumber {
    /// Parses and fully validates a number. Surrounding whitespace is ignored and a
    /// lower-case `x` is accepted as the check character.
    pub fn parse(input: &str) -> Result<Self, IdNumberError> {
        Self::parse_as_of(input, china_today())
    }

    /// As [`parse`](Self::parse), with birth dates after `today` refused.
    pub fn parse_as_of(input: &str, today: NaiveDate) -> Result<Self, IdNumberError> {
        let input = input.trim();
        let count = input.chars().count();
        if count != 18 {
            return Err(IdNumberError::WrongLength(count));
        }
        let mut bytes = [0u8; 18];
        for (i, c) in input.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'));
            if !ok {
                return Err(IdNumberError::BadCharacter {
                    position: i + 1,
                    found: c,
                });
            }
            bytes[i] = c.to_ascii_uppercase() as u8;
        }
        let address = &input[..6];
        // Province codes run from 11 to 82; the prefecture and county pairs are never 00
        // together with a real county (a province-level code is not an address code).
        let province: u32 = address[..2].parse().unwrap_or(0);
        if !(11..=82).contains(&province) || &address[4..] == "00" {
            return Err(IdNumberError::BadAddressCode(address.to_owned()));
        }
        // GB/T 2260 has no county codes 70-79: statistics give them to development zones,
        // whose residents are registered, and numbered, under a real county.
        if address.as_bytes()[4] == b'7' {
            return Err(IdNumberError::DevelopmentZoneCode(address.to_owned()));
        }
        let date_text = &input[6..14];
        let birth = parse_birth_date(date_text)
            .ok_or_else(|| IdNumberError::ImpossibleBirthDate(format_date_text(date_text)))?;
        if birth > today {
            return Err(IdNumberError::BirthDateInFuture(format_date_text(
                date_text,
            )));
        }
        if &input[14..17] == "000" {
            return Err(IdNumberError::ZeroSequence);
        }
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(&bytes[..17]);
        let expected = check_character(&first17);
        let found = bytes[17] as char;
        if expected != found {
            return Err(IdNumberError::WrongCheckCharacter { expected, found });
        }
        Ok(Self(bytes))
    }

    /// Builds a number from its parts, computing the check character. `address` must be a
    /// 6-digit code and `sequence` 1..=999; the sequence's parity should match the sex.
    pub fn from_parts(
        address: &str,
        birth: NaiveDate,
        sequence: u16,
    ) -> Result<Self, IdNumberError> {
        let text = format!("{address}{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
        if text.len() != 17 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdNumberError::BadAddressCode(address.to_owned()));
        }
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(text.as_bytes());
        let check = check_character(&first17);
        Self::parse(&format!("{text}{check}"))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and 'X' are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The GB/T 2260 county code where the number was first issued (not necessarily the
    /// person's county today, and possibly a code that has since been retired).
    pub fn address_code(&self) -> &str {
        &self.as_str()[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        parse_birth_date(&self.as_str()[6..14]).unwrap_or_default()
    }

    /// The 3-digit sequence number.
    pub fn sequence(&self) -> u16 {
        self.as_str()[14..17].parse().unwrap_or(0)
    }

    /// Odd sequence numbers are issued to men, even ones to women.
    pub fn sex(&self) -> Sex {
        if self.sequence() % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `on` (0 before the first birthday; 29 February birthdays
    /// count from 1 March in common years).
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date(), on)
    }

    /// Children under 14 get the strictest protection (PIPL art. 28).
    pub fn is_child_under_14(&self, on: NaiveDate) -> bool {
        self.age_on(on) < 14
    }
}

/// Age in whole years of someone born on `birth`, on the date `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The check character for the first 17 digits of a number.
pub fn check_character(first17: &[u8; 17]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit.saturating_sub(b'0')) * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize] as char
}

fn parse_birth_date(text: &str) -> Option<NaiveDate> {
    let year: i32 = text.get(..4)?.parse().ok()?;
    let month: u32 = text.get(4..6)?.parse().ok()?;
    let day: u32 = text.get(6..8)?.parse().ok()?;
    // GB 11643 numbers start with people born in the late 19th century.
    if !(1800..=2999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn format_date_text(text: &str) -> String {
    format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..8])
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.as_str())
    }
}

impl std::str::FromStr for IdNumber {
    type Err = IdNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for IdNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for IdNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_examples() {
        for text in [
            "11010519491231002X",
            "440524188001010014",
            "220122195603020017",
        ] {
            let id = IdNumber::parse(text).unwrap();
            assert_eq!(id.as_str(), text);
        }
    }

    #[test]
    fn reads_the_parts() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.address_code(), "110105");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sequence(), 2);
        assert_eq!(id.sex(), Sex::Female);
        let male = IdNumber::parse("220122195603020017").unwrap();
        assert_eq!(male.sex(), Sex::Male);
    }

    #[test]
    fn accepts_lower_case_x_and_whitespace() {
        let id = IdNumber::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            IdNumber::parse("2201221956030200"),
            Err(IdNumberError::WrongLength(16))
        );
        assert_eq!(IdNumber::parse(""), Err(IdNumberError::WrongLength(0)));
    }

    #[test]
    fn rejects_bad_characters_naming_the_position() {
        assert_eq!(
            IdNumber::parse("2201221956030200A7"),
            Err(IdNumberError::BadCharacter {
                position: 17,
                found: 'A'
            })
        );
        assert_eq!(
            IdNumber::parse("X20122195603020017"),
            Err(IdNumberError::BadCharacter {
                position: 1,
                found: 'X'
            })
        );
        assert!(matches!(
            IdNumber::parse("22012219560302001七"),
            Err(IdNumberError::BadCharacter { position: 18, .. })
        ));
    }

    #[test]
    fn rejects_an_impossible_date_even_with_a_right_check_character() {
        let err = IdNumber::parse("220122198502300021").unwrap_err();
        assert_eq!(err, IdNumberError::ImpossibleBirthDate("1985-02-30".into()));
        assert!(err.to_string().contains("1985-02-30"));
    }

    #[test]
    fn rejects_a_wrong_check_character_with_expected_and_found() {
        let err = IdNumber::parse("220122195603020018").unwrap_err();
        assert_eq!(
            err,
            IdNumberError::WrongCheckCharacter {
                expected: '7',
                found: '8'
            }
        );
        assert!(err.to_string().contains("should be 7"));
    }

    #[test]
    fn rejects_bad_address_codes() {
        assert!(matches!(
            IdNumber::parse("000000195603020017"),
            Err(IdNumberError::BadAddressCode(_))
        ));
        assert!(matches!(
            IdNumber::parse("220100195603020017"),
            Err(IdNumberError::BadAddressCode(_))
        ));
    }

    #[test]
    fn rejects_development_zone_codes_but_keeps_former_county_codes() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // 220171 is the statistical code of the 长春经济技术开发区: never an issuing code.
        let zone = format!("22017119800101001{}", check_character(b"22017119800101001"));
        let err = IdNumber::parse(&zone).unwrap_err();
        assert_eq!(err, IdNumberError::DevelopmentZoneCode("220171".into()));
        assert!(err.to_string().contains("development zone"));
        for county in ["220170", "220179", "229978"] {
            assert!(matches!(
                IdNumber::from_parts(county, d(1980, 1, 1), 1),
                Err(IdNumberError::DevelopmentZoneCode(_))
            ));
        }
        // 公主岭市 numbers issued under 四平 (220381) stay valid after its move to 长春.
        let former = IdNumber::from_parts("220381", d(1980, 1, 1), 1).unwrap();
        assert_eq!(former.address_code(), "220381");
        assert!(IdNumber::from_parts("220169", d(1980, 1, 1), 1).is_ok());
        assert!(IdNumber::from_parts("220181", d(1980, 1, 1), 1).is_ok());
    }

    #[test]
    fn rejects_a_birth_date_after_today_in_china() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let text = |birth: NaiveDate| {
            let first17 = format!("220122{}001", birth.format("%Y%m%d"));
            let mut digits = [0u8; 17];
            digits.copy_from_slice(first17.as_bytes());
            format!("{first17}{}", check_character(&digits))
        };
        let today = d(2026, 11, 30);
        assert!(IdNumber::parse_as_of(&text(today), today).is_ok());
        let err = IdNumber::parse_as_of(&text(d(2026, 12, 1)), today).unwrap_err();
        assert_eq!(err, IdNumberError::BirthDateInFuture("2026-12-01".into()));
        assert!(err.to_string().contains("future"));
        // The plain parse measures against China's date, a day ahead of UTC in its evening.
        let tomorrow = china_today().succ_opt().unwrap();
        assert!(matches!(
            IdNumber::parse(&text(tomorrow)),
            Err(IdNumberError::BirthDateInFuture(_))
        ));
        assert!(IdNumber::parse(&text(china_today())).is_ok());
        assert!(china_today() >= chrono::Utc::now().date_naive());
    }

    #[test]
    fn builds_from_parts_with_the_right_check_character() {
        let birth = NaiveDate::from_ymd_opt(1956, 3, 2).unwrap();
        let id = IdNumber::from_parts("220122", birth, 1).unwrap();
        assert_eq!(id.as_str(), "220122195603020017");
        assert!(IdNumber::from_parts("2201", birth, 1).is_err());
    }

    #[test]
    fn computes_age_and_child_status() {
        let id = IdNumber::parse("220122195603020017").unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(id.age_on(d(2026, 3, 1)), 69);
        assert_eq!(id.age_on(d(2026, 3, 2)), 70);
        assert!(!id.is_child_under_14(d(2026, 3, 2)));
        let child = IdNumber::from_parts("220122", d(2015, 6, 1), 22).unwrap();
        assert!(child.is_child_under_14(d(2029, 5, 31)));
        assert!(!child.is_child_under_14(d(2029, 6, 1)));
        assert_eq!(age_on(d(2000, 2, 29), d(2001, 2, 28)), 0);
        assert_eq!(age_on(d(2000, 2, 29), d(2001, 3, 1)), 1);
    }

    #[test]
    fn check_character_covers_x() {
        assert_eq!(check_character(b"11010519491231002"), 'X');
    }

    #[test]
    fn serde_round_trip_validates() {
        let id: IdNumber = serde_json::from_str("\"220122195603020017\"").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"220122195603020017\""
        );
        assert!(serde_json::from_str::<IdNumber>("\"220122195603020018\"").is_err());
    }
}
