//! Division codes: 6-digit GB/T 2260 county codes and the 12-digit statistical codes of
//! the National Bureau of Statistics, down to village.
//!
//! A code is kept in its natural length (2 province, 4 prefecture, 6 county, 9 township,
//! 12 village level), which is also the region-scope prefix of everything below it.

use std::fmt;

/// Why a string is not a division code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("a division code has only digits, found {0:?}")]
    NotDigits(String),
    #[error("a division code has 2, 4, 6, 9 or 12 digits, found {0}")]
    WrongLength(usize),
    #[error("a village or community has a 12-digit code, found {0}")]
    NotAVillage(String),
}

/// The level of a unit in the division tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
    Township,
    Village,
    Community,
    Other,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 7] = [
        Self::Province,
        Self::Prefecture,
        Self::County,
        Self::Township,
        Self::Village,
        Self::Community,
        Self::Other,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Prefecture => "prefecture",
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
            Self::Community => "community",
            Self::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == value)
    }
}

/// A division code in its natural length; a valid region-scope prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a code of 2, 4, 6, 9 or 12 digits. A 12-digit code padded with zeros (as the
    /// statistical tables write higher levels, `220122000000`) means the shorter unit.
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let input = input.trim();
        if !input.bytes().all(|b| b.is_ascii_digit()) || input.is_empty() {
            return Err(RegionCodeError::NotDigits(input.chars().take(20).collect()));
        }
        if !matches!(input.len(), 2 | 4 | 6 | 9 | 12) {
            return Err(RegionCodeError::WrongLength(input.len()));
        }
        let mut code = input;
        for (from, to) in [(12, 9), (9, 6), (6, 4), (4, 2)] {
            if code.len() == from && code[to..].bytes().all(|b| b == b'0') {
                code = &code[..to];
            }
        }
        Ok(Self(code.to_owned()))
    }

    /// Parses the 12-digit code of a village, community or virtual living area (a
    /// padded code of a higher unit is not one).
    pub fn parse_village(input: &str) -> Result<Self, RegionCodeError> {
        let code = Self::parse(input)?;
        if code.0.len() != 12 {
            return Err(RegionCodeError::NotAVillage(code.0));
        }
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 12-digit statistical form, padded with zeros.
    pub fn statistical(&self) -> String {
        format!("{:0<12}", self.0)
    }

    /// Parses the 12-digit statistical form stored in the database.
    pub fn from_statistical(code: &str) -> Result<Self, RegionCodeError> {
        Self::parse(code)
    }

    /// The level this code's length and numbering rules give. For 12-digit codes the
    /// NBS rules read the village triple: 001-199 urban communities, 200-399 villages,
    /// the rest virtual living areas of farms and zones.
    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            2 => RegionLevel::Province,
            4 => RegionLevel::Prefecture,
            6 => RegionLevel::County,
            9 => RegionLevel::Township,
            _ => match self.0[9..].parse::<u16>().unwrap_or(0) {
                1..=199 => RegionLevel::Community,
                200..=399 => RegionLevel::Village,
                _ => RegionLevel::Other,
            },
        }
    }

    /// The code one level up, or `None` for the province.
    pub fn parent(&self) -> Option<Self> {
        let len = match self.0.len() {
            12 => 9,
            9 => 6,
            6 => 4,
            4 => 2,
            _ => return None,
        };
        Some(Self(self.0[..len].to_owned()))
    }

    /// The codes from the province down to this one's parent.
    pub fn ancestors(&self) -> Vec<Self> {
        let mut chain = Vec::new();
        let mut current = self.parent();
        while let Some(code) = current {
            current = code.parent();
            chain.push(code);
        }
        chain.reverse();
        chain
    }

    /// Whether `other` lies within this code's region (a code contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// County-level development zones carry codes `xx7x` that GB/T 2260 does not have.
    pub fn is_development_zone(&self) -> bool {
        self.0.len() >= 6 && self.0.as_bytes()[4] == b'7'
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_village_code_has_twelve_digits_of_its_own() {
        assert!(RegionCode::parse_village("220122101201").is_ok());
        assert_eq!(
            RegionCode::parse_village("220122101000"),
            Err(RegionCodeError::NotAVillage("220122101".into()))
        );
        assert_eq!(
            RegionCode::parse_village("2201"),
            Err(RegionCodeError::NotAVillage("2201".into()))
        );
        assert!(RegionCode::parse_village("22012210120x").is_err());
    }

    #[test]
    fn parses_every_natural_length() {
        for (code, level) in [
            ("22", RegionLevel::Province),
            ("2201", RegionLevel::Prefecture),
            ("220122", RegionLevel::County),
            ("220122101", RegionLevel::Township),
            ("220122101201", RegionLevel::Village),
            ("220102001001", RegionLevel::Community),
            ("220122400401", RegionLevel::Other),
        ] {
            assert_eq!(
                RegionCode::parse(code).map(|c| c.level()),
                Ok(level),
                "{code}"
            );
        }
    }

    #[test]
    fn padded_statistical_code_means_the_shorter_unit() {
        let code = RegionCode::parse("220122000000").map(|c| c.as_str().to_owned());
        assert_eq!(code, Ok("220122".to_owned()));
        assert_eq!(
            RegionCode::parse("220000000000").map(|c| c.level()),
            Ok(RegionLevel::Province)
        );
    }

    #[test]
    fn rejects_wrong_lengths_and_non_digits() {
        assert_eq!(
            RegionCode::parse("2201221"),
            Err(RegionCodeError::WrongLength(7))
        );
        assert!(matches!(
            RegionCode::parse("22a1"),
            Err(RegionCodeError::NotDigits(_))
        ));
        assert!(matches!(
            RegionCode::parse(""),
            Err(RegionCodeError::NotDigits(_))
        ));
    }

    #[test]
    fn ancestors_run_from_the_province_down() {
        let village = RegionCode::parse("220122101201").unwrap_or_else(|e| panic!("{e}"));
        let chain: Vec<String> = village.ancestors().iter().map(|c| c.to_string()).collect();
        assert_eq!(chain, ["22", "2201", "220122", "220122101"]);
        assert!(RegionCode::parse("2201").is_ok_and(|c| c.contains(&village)));
        assert!(!RegionCode::parse("2202").is_ok_and(|c| c.contains(&village)));
    }

    #[test]
    fn development_zones_are_recognised() {
        assert!(RegionCode::parse("220171").is_ok_and(|c| c.is_development_zone()));
        assert!(!RegionCode::parse("220122").is_ok_and(|c| c.is_development_zone()));
    }
}
