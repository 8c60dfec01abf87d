//! 医保: what the medical insurance platform says about a person (transaction 1101).

use chrono::NaiveDate;

use super::Money;
use crate::domain::{Ethnicity, IdNumber, Sex};

/// A person's medical insurance enrolments and medical-assistance identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalInsuranceView {
    /// 人员编号: the platform's person number.
    pub person_number: String,
    pub id_number: IdNumber,
    pub name: String,
    pub sex: Sex,
    /// GB 3304; an ethnic group outside the hub's table is `Other`.
    pub ethnicity: Ethnicity,
    pub birth_date: NaiveDate,
    pub enrolments: Vec<MedicalEnrolment>,
    pub identities: Vec<MedicalIdentity>,
}

/// One insurance scheme the person is (or was) enrolled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalEnrolment {
    pub scheme: MedicalScheme,
    pub person_type: MedicalPersonType,
    pub status: EnrolmentStatus,
    /// 参保日期: enrolled since.
    pub since: NaiveDate,
    /// 暂停参保日期: suspended since.
    pub suspended_since: Option<NaiveDate>,
    /// 参保地医保区划: the 6-digit division where the person is insured.
    pub insured_division: String,
    /// 账户余额: the personal account balance.
    pub account_balance: Money,
}

/// A medical insurance scheme (险种类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MedicalScheme {
    /// 职工基本医疗保险 (310)
    EmployeeBasic,
    /// 城乡居民基本医疗保险 (390)
    ResidentBasic,
    /// 城乡居民大病医疗保险 (392)
    ResidentSeriousIllness,
}

/// The person's category in the scheme (人员类别).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MedicalPersonType {
    /// 在职职工 (1101)
    EmployeeInService,
    /// 退休人员 (1102)
    Retired,
    /// 城乡居民 (1501)
    Resident,
    /// Another category, by its code.
    Other(String),
}

/// Enrolment status (人员参保状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnrolmentStatus {
    /// 未参保 (0)
    NotInsured,
    /// 正常参保 (1)
    Insured,
    /// 暂停参保 (2)
    Suspended,
    /// 终止参保 (3)
    Terminated,
}

/// A medical-assistance identity (医疗救助身份).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalIdentity {
    pub kind: MedicalIdentityKind,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// The kind of a medical-assistance identity (人员身份类别).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MedicalIdentityKind {
    /// 低保对象 (01): dibao recipient.
    Dibao,
    /// 特困人员 (02): extremely poor person.
    ExtremelyPoor,
    /// 防返贫监测对象 (03): monitored household.
    Monitored,
    /// Another identity, by its code.
    Other(String),
}
