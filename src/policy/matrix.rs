//! The vocabulary of the access matrix: field groups and how much of each a caller sees
//! (read, masked, status only, withheld). The matrix itself is data: see `file`.

use crate::domain::Department;

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
    /// Employment registration and vocational training.
    Employment,
    AssistanceProgrammes,
    AssistanceAmounts,
    RegistrationStatus,
    /// Registered address and ID card validity.
    RegisteredAddress,
    /// Veteran or other entitled person, and the preferential-treatment card (优待证).
    VeteranStatus,
    /// On the register of veterans in difficulty, and care visits.
    VeteranCare,
    /// Family-doctor contract: status, clinic, package.
    FamilyDoctor,
    /// Lifted out of poverty or monitored against relapse: kind, risk, assistance.
    PovertyMonitoring,
}

impl FieldGroup {
    pub const ALL: [FieldGroup; 17] = [
        Self::Identity,
        Self::IdNumber,
        Self::Phone,
        Self::HouseholdMembers,
        Self::MedicalInsurance,
        Self::MedicalAssistance,
        Self::SocialInsurance,
        Self::Pension,
        Self::Employment,
        Self::AssistanceProgrammes,
        Self::AssistanceAmounts,
        Self::RegistrationStatus,
        Self::RegisteredAddress,
        Self::VeteranStatus,
        Self::VeteranCare,
        Self::FamilyDoctor,
        Self::PovertyMonitoring,
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
            Self::Employment => "employment",
            Self::AssistanceProgrammes => "assistance_programmes",
            Self::AssistanceAmounts => "assistance_amounts",
            Self::RegistrationStatus => "registration_status",
            Self::RegisteredAddress => "registered_address",
            Self::VeteranStatus => "veteran_status",
            Self::VeteranCare => "veteran_care",
            Self::FamilyDoctor => "family_doctor",
            Self::PovertyMonitoring => "poverty_monitoring",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }

    /// Whether the group has a form for `visibility`: only names, ID numbers, phones and
    /// addresses can be masked; only department objects have a status-only form; only the
    /// pension shows its certification date alone. Reading and withholding fit every group.
    pub fn shows(self, visibility: Visibility) -> bool {
        match visibility {
            Visibility::Read | Visibility::Withheld => true,
            Visibility::Masked => matches!(
                self,
                Self::Identity | Self::IdNumber | Self::Phone | Self::RegisteredAddress
            ),
            Visibility::StatusOnly => matches!(
                self,
                Self::MedicalInsurance
                    | Self::SocialInsurance
                    | Self::Pension
                    | Self::Employment
                    | Self::AssistanceProgrammes
                    | Self::VeteranStatus
                    | Self::FamilyDoctor
            ),
            Visibility::CertificationDateOnly => self == Self::Pension,
        }
    }

    /// The department whose "own department" rules apply to this group.
    pub fn department(self) -> Option<Department> {
        match self {
            Self::MedicalInsurance | Self::MedicalAssistance => Some(Department::MedicalInsurance),
            Self::SocialInsurance | Self::Pension | Self::Employment => {
                Some(Department::SocialSecurity)
            }
            Self::AssistanceProgrammes | Self::AssistanceAmounts => Some(Department::CivilAffairs),
            Self::RegistrationStatus | Self::RegisteredAddress => Some(Department::PublicSecurity),
            Self::VeteranStatus | Self::VeteranCare => Some(Department::VeteransAffairs),
            Self::FamilyDoctor => Some(Department::Health),
            Self::PovertyMonitoring => Some(Department::Agriculture),
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

impl Visibility {
    /// Every form, from the least strict to the strictest.
    pub const ALL: [Visibility; 5] = [
        Self::Read,
        Self::Masked,
        Self::StatusOnly,
        Self::CertificationDateOnly,
        Self::Withheld,
    ];

    /// The word a policy file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Masked => "masked",
            Self::StatusOnly => "status_only",
            Self::CertificationDateOnly => "certification_date_only",
            Self::Withheld => "withheld",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_can_be_read_and_withheld_and_only_some_masked() {
        for group in FieldGroup::ALL {
            assert!(group.shows(Visibility::Read) && group.shows(Visibility::Withheld));
        }
        assert!(FieldGroup::IdNumber.shows(Visibility::Masked));
        assert!(!FieldGroup::HouseholdMembers.shows(Visibility::Masked));
        assert!(!FieldGroup::MedicalInsurance.shows(Visibility::Masked));
        assert!(FieldGroup::MedicalInsurance.shows(Visibility::StatusOnly));
        assert!(!FieldGroup::AssistanceAmounts.shows(Visibility::StatusOnly));
    }
}
