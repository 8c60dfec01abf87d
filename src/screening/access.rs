//! Which alerts a caller may see: the `[alerts]` rows of the access policy (by default
//! village assistants, township officers and admins all of their region's; a department
//! clerk those involving their department; police ID_CARD_EXPIRED only; others none).

use super::rules::{AlertKind, Finding};
use crate::{
    auth::Principal,
    domain::Department,
    policy::{AlertAccess, Policy},
};

/// A set of alert kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u16);

impl KindSet {
    pub fn of(kinds: impl IntoIterator<Item = AlertKind>) -> Self {
        Self(
            kinds
                .into_iter()
                .fold(0, |bits, kind| bits | Self::bit(kind)),
        )
    }

    fn bit(kind: AlertKind) -> u16 {
        AlertKind::ALL
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| 1 << i)
    }

    pub fn contains(self, kind: AlertKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// The stored codes of the kinds in the set.
    pub fn codes(self) -> Vec<&'static str> {
        AlertKind::ALL
            .into_iter()
            .filter(|k| self.contains(*k))
            .map(AlertKind::code)
            .collect()
    }
}

/// The alerts a caller may see, within their region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertScope {
    All,
    /// Alerts whose facts come (in part) from this department.
    Involving(Department),
    /// Alerts of these kinds only.
    Kinds(KindSet),
    Nothing,
}

impl AlertScope {
    /// The scope the policy gives `principal`.
    pub fn of(policy: &Policy, principal: &Principal) -> Self {
        match policy.alert_access(principal.role) {
            AlertAccess::All => Self::All,
            AlertAccess::None => Self::Nothing,
            AlertAccess::OwnDepartment => {
                principal.department.map_or(Self::Nothing, Self::Involving)
            }
            AlertAccess::Kinds(names) => {
                let kinds = KindSet::of(names.iter().filter_map(|n| AlertKind::parse(n)));
                if kinds.0 == 0 {
                    Self::Nothing
                } else {
                    Self::Kinds(kinds)
                }
            }
        }
    }

    /// Whether the caller may see `finding`.
    pub fn admits(self, finding: &Finding) -> bool {
        self.admits_parts(finding.kind, &finding.departments())
    }

    /// Whether the caller may see an alert of `kind` resting on `departments`.
    pub fn admits_parts(self, kind: AlertKind, departments: &[&str]) -> bool {
        match self {
            Self::All => true,
            Self::Involving(d) => departments.contains(&d.as_str()),
            Self::Kinds(kinds) => kinds.contains(kind),
            Self::Nothing => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{auth::Role, domain::RegionCode};

    fn scope(principal: &Principal) -> AlertScope {
        AlertScope::of(&Policy::built_in().unwrap(), principal)
    }

    fn principal(role: Role, department: Option<Department>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            region: RegionCode::parse("220122").unwrap(),
            department,
            id_number: None,
            client: None,
        }
    }

    #[test]
    fn each_role_sees_the_alerts_of_the_matrix() {
        let civil = scope(&principal(
            Role::DepartmentClerk,
            Some(Department::CivilAffairs),
        ));
        assert!(civil.admits_parts(
            AlertKind::ElderlyNoAllowance,
            &["public_security", "civil_affairs"]
        ));
        assert!(!civil.admits_parts(AlertKind::PensionCertOverdue, &["social_security"]));
        let police = scope(&principal(Role::Police, None));
        assert!(police.admits_parts(AlertKind::IdCardExpired, &["public_security"]));
        assert!(!police.admits_parts(AlertKind::NameMismatch, &["public_security"]));
        for role in [Role::VillageAssistant, Role::TownshipOfficer, Role::Admin] {
            assert_eq!(scope(&principal(role, None)), AlertScope::All);
        }
        for role in [Role::Resident, Role::Dashboard, Role::Auditor] {
            assert_eq!(scope(&principal(role, None)), AlertScope::Nothing);
        }
    }
}
