//! 人社: social insurance, pension in payment and employment, as the Golden Security
//! platform records them.

use chrono::NaiveDate;

use super::{Money, YearMonth};
use crate::domain::{IdNumber, Sex};

/// A person's social insurance schemes and pension.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialInsuranceView {
    /// 个人编号: the platform's person number.
    pub person_number: String,
    pub id_number: IdNumber,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub insurances: Vec<SocialInsurance>,
    /// The pension in payment (or stopped), if the person draws one.
    pub pension: Option<Pension>,
}

/// One insurance scheme of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocialInsurance {
    pub kind: SocialInsuranceKind,
    pub status: ContributionStatus,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
}

/// A social insurance scheme (险种).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SocialInsuranceKind {
    /// 企业职工基本养老保险 (110)
    EnterpriseEmployeePension,
    /// 机关事业单位养老保险 (120)
    InstitutionPension,
    /// 城乡居民基本养老保险 (170)
    ResidentPension,
    /// 失业保险 (210)
    Unemployment,
    /// 工伤保险 (410)
    WorkInjury,
}

/// Contribution status (缴费状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContributionStatus {
    /// 参保缴费: paying.
    Paying,
    /// 暂停缴费: suspended.
    Suspended,
    /// 终止缴费: terminated.
    Terminated,
}

/// A pension (养老金待遇).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pension {
    /// The pension scheme it is paid from.
    pub scheme: SocialInsuranceKind,
    pub monthly: Money,
    pub start: YearMonth,
    pub status: PensionStatus,
    /// The month payment stopped.
    pub stopped: Option<YearMonth>,
    /// The last annual benefit-eligibility certification (待遇资格认证).
    pub last_certified: Option<NaiveDate>,
}

/// Whether a pension is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PensionStatus {
    /// 正常发放: in payment.
    InPayment,
    /// 停发: stopped.
    Stopped,
}

/// Employment registration and training, for the village employment service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmploymentView {
    pub person_number: String,
    pub id_number: IdNumber,
    pub name: String,
    pub status: EmploymentStatus,
    pub trainings: Vec<Training>,
}

/// Employment registration status (就业登记状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmploymentStatus {
    /// 未登记: not registered.
    NotRegistered,
    /// 就业: employed.
    Employed,
    /// 登记失业: registered unemployed.
    RegisteredUnemployed,
    /// 培训中: in training.
    InTraining,
}

/// A vocational training course (职业技能培训).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Training {
    pub course: String,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
    /// The result as recorded, e.g. 合格 (passed) or 在训 (ongoing).
    pub result: String,
}
