//! The level a role's region scope must name: a village assistant acts for one village,
//! a township officer for one township, a county clerk for one county. A token whose
//! `region` claim names another level is refused at the edge, as a bad token is, so that a
//! village assistant's token for `22` never lists the province. The levels themselves are
//! data of the access policy (`[scope]`); this module only checks them.

use std::{
    collections::{BTreeSet, HashMap},
    fmt,
};

use super::{AuthError, Role};
use crate::domain::RegionCode;

/// A level of the division tree, as the length of its code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeLevel {
    /// 2 digits.
    Province,
    /// 4 digits.
    Prefecture,
    /// 6 digits.
    County,
    /// 9 digits.
    Township,
    /// 12 digits: a village, an urban community or a virtual living area.
    Village,
}

impl ScopeLevel {
    pub const ALL: [ScopeLevel; 5] = [
        Self::Province,
        Self::Prefecture,
        Self::County,
        Self::Township,
        Self::Village,
    ];

    /// The word a policy file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Prefecture => "prefecture",
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == word)
    }

    /// How many digits a code of this level has.
    pub fn digits(self) -> usize {
        match self {
            Self::Province => 2,
            Self::Prefecture => 4,
            Self::County => 6,
            Self::Township => 9,
            Self::Village => 12,
        }
    }

    /// The level `code` names.
    pub fn of(code: &RegionCode) -> Self {
        let digits = code.as_str().len();
        Self::ALL
            .into_iter()
            .find(|l| l.digits() == digits)
            .unwrap_or(Self::Village)
    }
}

impl fmt::Display for ScopeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} digits)", self.as_str(), self.digits())
    }
}

/// For each role, the levels its `region` claim may name. A role not listed may name any
/// level (its scope is any prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeLevels(HashMap<Role, BTreeSet<ScopeLevel>>);

impl ScopeLevels {
    /// No restriction: every role may name any level.
    pub fn any() -> Self {
        Self::default()
    }

    /// Restricts `role` to `levels`.
    pub fn restrict(&mut self, role: Role, levels: BTreeSet<ScopeLevel>) {
        self.0.insert(role, levels);
    }

    /// The levels `role` may name; `None` for any level.
    pub fn of(&self, role: Role) -> Option<&BTreeSet<ScopeLevel>> {
        self.0.get(&role)
    }

    /// Whether a token of `role` may name `region`.
    pub fn check(&self, role: Role, region: &RegionCode) -> Result<(), AuthError> {
        let Some(allowed) = self.of(role) else {
            return Ok(());
        };
        let found = ScopeLevel::of(region);
        if allowed.contains(&found) {
            return Ok(());
        }
        Err(AuthError::RegionLevel {
            role,
            found,
            allowed: allowed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }

    /// The levels of `role` in words, e.g. `township or county`, or `any`.
    pub fn describe(&self, role: Role) -> String {
        match self.of(role) {
            None => "any".to_owned(),
            Some(levels) => levels
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_restricted_role_names_only_its_levels() {
        let mut levels = ScopeLevels::any();
        levels.restrict(
            Role::Police,
            [ScopeLevel::Township, ScopeLevel::County].into(),
        );
        assert_eq!(levels.check(Role::Police, &code("220122101")), Ok(()));
        assert_eq!(levels.check(Role::Police, &code("220122")), Ok(()));
        let err = levels.check(Role::Police, &code("22")).err();
        assert_eq!(err.as_ref().map(AuthError::reason), Some("REGION_LEVEL"));
        assert!(
            err.map(|e| e.to_string())
                .unwrap_or_default()
                .contains("county (6 digits) or township (9 digits)")
        );
        assert_eq!(levels.check(Role::Admin, &code("22")), Ok(()));
    }

    #[test]
    fn the_level_follows_the_code_length() {
        assert_eq!(ScopeLevel::of(&code("220122101201")), ScopeLevel::Village);
        assert_eq!(ScopeLevel::of(&code("220122101001")), ScopeLevel::Village);
        assert_eq!(ScopeLevel::of(&code("220122000000")), ScopeLevel::County);
        assert_eq!(ScopeLevel::of(&code("2201")), ScopeLevel::Prefecture);
    }
}
