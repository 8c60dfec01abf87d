//! Code tables as GraphQL enums, each value with its Chinese term.

use async_graphql::Enum;

use crate::{domain, store::residents::IndexStatus};

/// Sex (性别), GB/T 2261.1.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Sex {
    /// 男 (code 1).
    Male,
    /// 女 (code 2).
    Female,
    /// 未知的性别 (code 0).
    Unknown,
    /// 未说明的性别 (code 9).
    NotStated,
}

impl From<domain::Sex> for Sex {
    fn from(sex: domain::Sex) -> Self {
        match sex {
            domain::Sex::Male => Self::Male,
            domain::Sex::Female => Self::Female,
            domain::Sex::Unknown => Self::Unknown,
            domain::Sex::NotStated => Self::NotStated,
        }
    }
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "1",
            Self::Female => "2",
            Self::Unknown => "0",
            Self::NotStated => "9",
        }
    }
}

/// Relationship to the head of household (与户主关系), GB/T 4761.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Relationship {
    /// 户主 (code 02).
    Head,
    /// 配偶 (code 10).
    Spouse,
    /// 子 (code 20).
    Son,
    /// 女 (code 30).
    Daughter,
    /// 孙子女 (code 40s).
    Grandchild,
    /// 父母 (code 50s).
    Parent,
    /// 祖父母 (code 60s).
    Grandparent,
    /// 兄弟姐妹 (code 70s).
    Sibling,
    /// 其他 (code 99 and others).
    Other,
}

impl From<domain::Relationship> for Relationship {
    fn from(value: domain::Relationship) -> Self {
        match value {
            domain::Relationship::Head => Self::Head,
            domain::Relationship::Spouse => Self::Spouse,
            domain::Relationship::Son => Self::Son,
            domain::Relationship::Daughter => Self::Daughter,
            domain::Relationship::Grandchild => Self::Grandchild,
            domain::Relationship::Parent => Self::Parent,
            domain::Relationship::Grandparent => Self::Grandparent,
            domain::Relationship::Sibling => Self::Sibling,
            domain::Relationship::Other => Self::Other,
        }
    }
}

/// Household registration status (户籍状态).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RegistrationStatus {
    /// 正常: registered here.
    Normal,
    /// 迁出: moved out.
    MovedOut,
    /// 死亡注销: registration cancelled on death.
    Deceased,
}

impl From<IndexStatus> for RegistrationStatus {
    fn from(status: IndexStatus) -> Self {
        match status {
            IndexStatus::Normal => Self::Normal,
            IndexStatus::MovedOut => Self::MovedOut,
            IndexStatus::Deceased => Self::Deceased,
        }
    }
}

impl From<RegistrationStatus> for IndexStatus {
    fn from(status: RegistrationStatus) -> Self {
        match status {
            RegistrationStatus::Normal => Self::Normal,
            RegistrationStatus::MovedOut => Self::MovedOut,
            RegistrationStatus::Deceased => Self::Deceased,
        }
    }
}

/// How much of a field group the caller sees (信息披露).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Disclosure {
    /// 全部可见: the values.
    Full,
    /// 脱敏: masked values, such as `220122********0017`.
    Masked,
    /// 仅状态: enrolled or not and which programme; no amounts or details.
    StatusOnly,
    /// 仅认证日期: of the pension group, only the eligibility-certification date.
    CertificationDateOnly,
    /// 不可见: withheld (null).
    Withheld,
}

/// A group of resident fields the access policy decides on together.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum FieldGroup {
    /// 基本信息: name, sex, age, village, household number.
    Identity,
    /// 公民身份号码.
    IdNumber,
    /// 联系电话.
    Phone,
    /// 家庭成员.
    HouseholdMembers,
    /// 医保参保状态.
    MedicalInsurance,
    /// 医疗救助身份.
    MedicalAssistance,
    /// 社保参保状态.
    SocialInsurance,
    /// 养老金与资格认证.
    Pension,
    /// 就业登记与培训.
    Employment,
    /// 救助项目.
    AssistanceProgrammes,
    /// 救助金额.
    AssistanceAmounts,
    /// 户籍状态.
    RegistrationStatus,
    /// 户籍地址与身份证有效期.
    RegisteredAddress,
    /// 退役军人身份与优待证.
    VeteranStatus,
    /// 困难退役军人与走访慰问.
    VeteranCare,
    /// 家庭医生签约.
    FamilyDoctor,
    /// 脱贫与防返贫监测.
    PovertyMonitoring,
}

impl From<crate::policy::FieldGroup> for FieldGroup {
    fn from(group: crate::policy::FieldGroup) -> Self {
        use crate::policy::FieldGroup as G;
        match group {
            G::Identity => Self::Identity,
            G::IdNumber => Self::IdNumber,
            G::Phone => Self::Phone,
            G::HouseholdMembers => Self::HouseholdMembers,
            G::MedicalInsurance => Self::MedicalInsurance,
            G::MedicalAssistance => Self::MedicalAssistance,
            G::SocialInsurance => Self::SocialInsurance,
            G::Pension => Self::Pension,
            G::Employment => Self::Employment,
            G::AssistanceProgrammes => Self::AssistanceProgrammes,
            G::AssistanceAmounts => Self::AssistanceAmounts,
            G::RegistrationStatus => Self::RegistrationStatus,
            G::RegisteredAddress => Self::RegisteredAddress,
            G::VeteranStatus => Self::VeteranStatus,
            G::VeteranCare => Self::VeteranCare,
            G::FamilyDoctor => Self::FamilyDoctor,
            G::PovertyMonitoring => Self::PovertyMonitoring,
        }
    }
}

impl From<crate::policy::Visibility> for Disclosure {
    fn from(visibility: crate::policy::Visibility) -> Self {
        use crate::policy::Visibility as V;
        match visibility {
            V::Read => Self::Full,
            V::Masked => Self::Masked,
            V::StatusOnly => Self::StatusOnly,
            V::CertificationDateOnly => Self::CertificationDateOnly,
            V::Withheld => Self::Withheld,
        }
    }
}
