//! The access matrix of DOMAIN.md: for each role and field group, read (R), masked (M),
//! status only (S) or withheld (–).

use crate::{
    auth::{Principal, Role},
    domain::Department,
};

/// A group of resident fields that the matrix decides on together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldGroup {
    /// Name, sex, age, village, household number.
    Identity,
    IdNumber,
    Phone,
    HouseholdMembers,
    MedicalInsurance,
    MedicalAssistance,
    SocialInsurance,
    Pension,
    AssistanceProgrammes,
    AssistanceAmounts,
    RegistrationStatus,
    /// Registered address and ID card validity.
    RegisteredAddress,
}

impl FieldGroup {
    pub const ALL: [FieldGroup; 12] = [
        Self::Identity,
        Self::IdNumber,
        Self::Phone,
        Self::HouseholdMembers,
        Self::MedicalInsurance,
        Self::MedicalAssistance,
        Self::SocialInsurance,
        Self::Pension,
        Self::AssistanceProgrammes,
        Self::AssistanceAmounts,
        Self::RegistrationStatus,
        Self::RegisteredAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::IdNumber => "id_number",
            Self::Phone => "phone",
            Self::HouseholdMembers => "household_members",
            Self::MedicalInsurance => "medical_insurance",
            Self::MedicalAssistance => "medical_assistance",
            Self::SocialInsurance => "social_insurance",
            Self::Pension => "pension",
            Self::AssistanceProgrammes => "assistance_programmes",
            Self::AssistanceAmounts => "assistance_amounts",
            Self::RegistrationStatus => "registration_status",
            Self::RegisteredAddress => "registered_address",
        }
    }

    /// The department whose "own dept" rules apply to this group.
    fn department(self) -> Option<Department> {
        match self {
            Self::MedicalInsurance | Self::MedicalAssistance => Some(Department::MedicalInsurance),
            Self::SocialInsurance | Self::Pension => Some(Department::SocialSecurity),
            Self::AssistanceProgrammes | Self::AssistanceAmounts => Some(Department::CivilAffairs),
            Self::RegistrationStatus | Self::RegisteredAddress => Some(Department::PublicSecurity),
            _ => None,
        }
    }
}

/// How much of a field group a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Read,
    Masked,
    StatusOnly,
    /// Only the eligibility-certification date of the pension group.
    CertificationDateOnly,
    Withheld,
}

/// The matrix's cell for `principal` and `group`. A resident reading their own record
/// reads everything; that case is decided by the caller, who knows whose record it is.
pub fn visibility(principal: &Principal, group: FieldGroup) -> Visibility {
    use FieldGroup as G;
    use Visibility::*;
    let own_department =
        principal.department.is_some() && principal.department == group.department();
    match principal.role {
        Role::Resident | Role::Admin => Read,
        Role::VillageAssistant => match group {
            G::IdNumber | G::RegisteredAddress => Masked,
            G::MedicalAssistance | G::AssistanceAmounts => Withheld,
            G::Pension => CertificationDateOnly,
            _ => Read,
        },
        Role::TownshipOfficer => match group {
            G::IdNumber | G::RegisteredAddress => Masked,
            G::MedicalAssistance => Withheld,
            _ => Read,
        },
        Role::DepartmentClerk => match group {
            G::Identity | G::IdNumber | G::Phone | G::HouseholdMembers | G::RegistrationStatus => {
                Read
            }
            G::RegisteredAddress if own_department => Read,
            G::RegisteredAddress => Withheld,
            _ if own_department => Read,
            G::MedicalInsurance | G::SocialInsurance | G::AssistanceProgrammes => StatusOnly,
            _ => Withheld,
        },
        Role::Police => match group {
            G::Identity
            | G::IdNumber
            | G::Phone
            | G::HouseholdMembers
            | G::RegistrationStatus
            | G::RegisteredAddress => Read,
            _ => Withheld,
        },
        Role::Dashboard | Role::Integrator | Role::Auditor => Withheld,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RegionCode;

    fn principal(role: Role, department: Option<Department>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            region: RegionCode::parse("220122").unwrap_or_else(|e| panic!("{e}")),
            department,
            id_number: None,
        }
    }

    #[test]
    fn village_assistants_see_masked_id_numbers_and_no_amounts() {
        let p = principal(Role::VillageAssistant, None);
        assert_eq!(visibility(&p, FieldGroup::IdNumber), Visibility::Masked);
        assert_eq!(
            visibility(&p, FieldGroup::AssistanceAmounts),
            Visibility::Withheld
        );
        assert_eq!(
            visibility(&p, FieldGroup::Pension),
            Visibility::CertificationDateOnly
        );
        assert_eq!(
            visibility(&p, FieldGroup::MedicalInsurance),
            Visibility::Read
        );
    }

    #[test]
    fn clerks_read_their_own_department_and_only_status_of_others() {
        let civil = principal(Role::DepartmentClerk, Some(Department::CivilAffairs));
        assert_eq!(
            visibility(&civil, FieldGroup::AssistanceAmounts),
            Visibility::Read
        );
        assert_eq!(
            visibility(&civil, FieldGroup::MedicalInsurance),
            Visibility::StatusOnly
        );
        assert_eq!(
            visibility(&civil, FieldGroup::MedicalAssistance),
            Visibility::Withheld
        );
        assert_eq!(
            visibility(&civil, FieldGroup::RegisteredAddress),
            Visibility::Withheld
        );
        let police_clerk = principal(Role::DepartmentClerk, Some(Department::PublicSecurity));
        assert_eq!(
            visibility(&police_clerk, FieldGroup::RegisteredAddress),
            Visibility::Read
        );
    }

    #[test]
    fn dashboards_see_no_personal_data() {
        let p = principal(Role::Dashboard, None);
        assert_eq!(visibility(&p, FieldGroup::Identity), Visibility::Withheld);
    }
}
