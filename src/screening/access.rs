//! Which alerts a caller may see (DOMAIN.md's access matrix, row "alerts"): village
//! assistants, township officers and admins all of their region's; a department clerk
//! those involving their department; police ID_CARD_EXPIRED only; everyone else none.

use super::rules::{AlertKind, Finding};
use crate::{
    auth::{Principal, Role},
    domain::Department,
};

/// The alerts a caller may see, within their region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertScope {
    All,
    /// Alerts whose facts come (in part) from this department.
    Involving(Department),
    /// Alerts of this kind only.
    Kind(AlertKind),
    Nothing,
}

impl AlertScope {
    pub fn of(principal: &Principal) -> Self {
        match principal.role {
            Role::VillageAssistant | Role::TownshipOfficer | Role::Admin => Self::All,
            Role::DepartmentClerk => principal.department.map_or(Self::Nothing, Self::Involving),
            Role::Police => Self::Kind(AlertKind::IdCardExpired),
            Role::Resident | Role::Dashboard | Role::Integrator | Role::Auditor => Self::Nothing,
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
            Self::Kind(k) => k == kind,
            Self::Nothing => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::RegionCode;

    fn principal(role: Role, department: Option<Department>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            region: RegionCode::parse("220122").unwrap(),
            department,
            id_number: None,
        }
    }

    #[test]
    fn each_role_sees_the_alerts_of_the_matrix() {
        let civil = AlertScope::of(&principal(
            Role::DepartmentClerk,
            Some(Department::CivilAffairs),
        ));
        assert!(civil.admits_parts(
            AlertKind::ElderlyNoAllowance,
            &["public_security", "civil_affairs"]
        ));
        assert!(!civil.admits_parts(AlertKind::PensionCertOverdue, &["social_security"]));
        let police = AlertScope::of(&principal(Role::Police, None));
        assert!(police.admits_parts(AlertKind::IdCardExpired, &["public_security"]));
        assert!(!police.admits_parts(AlertKind::NameMismatch, &["public_security"]));
        for role in [Role::VillageAssistant, Role::TownshipOfficer, Role::Admin] {
            assert_eq!(AlertScope::of(&principal(role, None)), AlertScope::All);
        }
        for role in [Role::Resident, Role::Dashboard, Role::Auditor] {
            assert_eq!(AlertScope::of(&principal(role, None)), AlertScope::Nothing);
        }
    }
}
