//! The population model: compact people with their facts in each department.

use std::ops::Range;

use chrono::{Datelike, NaiveDate};

use super::names::CompactName;
use crate::domain::{Ethnicity, IdNumber, RegionCode, RegionLevel, Relationship, Sex};
use crate::sim::truth::AlertSet;

/// A year and month (`YYYY-MM` on civil affairs' wire, `YYYYMM` on social security's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl YearMonth {
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: u16::try_from(date.year()).unwrap_or(1900),
            month: u8::try_from(date.month()).unwrap_or(1),
        }
    }
}

/// Registration status in the household register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Normal,
    MovedOut(NaiveDate),
    Deceased(NaiveDate),
}

/// Validity of the resident ID card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardValidity {
    /// No card issued (children under 16 need none).
    NoCard,
    /// 长期: cards issued from age 46 on do not expire.
    LongTerm,
    Until(NaiveDate),
}

/// Disability category (GB/T 26341: 1 visual, 2 hearing, 3 speech, 4 physical,
/// 5 intellectual, 6 mental, 7 multiple) and grade (1 most severe … 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disability {
    pub category: u8,
    pub grade: u8,
}

/// Medical insurance schemes (insutype).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedicalScheme {
    /// 310 employee basic medical insurance.
    Employee,
    /// 390 urban-rural resident basic medical insurance (with 392 serious-illness cover).
    Resident,
}

/// Insurance status (psn_insu_stas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsuranceStatus {
    Insured,
    Suspended,
    Terminated,
}

/// The person's record in the medical insurance system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedicalFacts {
    pub scheme: MedicalScheme,
    pub status: InsuranceStatus,
    pub since: NaiveDate,
    /// When the cover was suspended or terminated.
    pub paused: Option<NaiveDate>,
    /// Retired employee (psn_type) rather than in service.
    pub retired: bool,
    /// 防返贫监测对象: a household monitored for falling back into poverty.
    pub monitored: bool,
}

/// Pension schemes (aae140).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PensionScheme {
    /// 110 enterprise employee basic pension.
    Enterprise,
    /// 120 institution pension.
    Institution,
    /// 170 urban-rural resident pension.
    Resident,
}

/// Contribution status (aac031).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionStatus {
    Paying,
    Suspended,
    Terminated,
}

/// Employment registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Employment {
    NotRegistered,
    Employed,
    RegisteredUnemployed,
    InTraining,
}

/// A pension in payment (or stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pension {
    pub monthly_cents: u32,
    pub start: YearMonth,
    pub in_payment: bool,
    pub stopped: Option<YearMonth>,
    /// The last annual benefit-eligibility certification (待遇资格认证).
    pub last_cert: NaiveDate,
}

/// The person's record in the social security system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocialFacts {
    pub scheme: PensionScheme,
    pub status: ContributionStatus,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
    /// Employees also carry 210 unemployment and 410 work-injury insurance.
    pub employee_extras: bool,
    pub pension: Option<Pension>,
    pub employment: Employment,
    /// Vocational training records (0..=3).
    pub trainings: u8,
}

/// Civil-affairs assistance programmes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Programme {
    /// 最低生活保障
    Dibao,
    /// 特困人员救助供养
    ExtremelyPoor,
    /// 临时救助 (one-off; the amount is the sum paid)
    Temporary,
    /// 困难残疾人生活补贴
    DisabilityLiving,
    /// 重度残疾人护理补贴
    SevereDisabilityNursing,
    /// 高龄津贴
    OldAgeAllowance,
    /// 困境儿童
    ChildInDifficulty,
}

impl Programme {
    pub const ALL: [Programme; 7] = [
        Self::Dibao,
        Self::ExtremelyPoor,
        Self::Temporary,
        Self::DisabilityLiving,
        Self::SevereDisabilityNursing,
        Self::OldAgeAllowance,
        Self::ChildInDifficulty,
    ];
}

/// Status of an assistance record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistanceStatus {
    InPayment,
    Suspended,
    Ended,
}

/// One assistance record of civil affairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assistance {
    pub programme: Programme,
    pub status: AssistanceStatus,
    pub monthly_cents: u32,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
    pub household_size: u8,
    pub disability: Option<Disability>,
}

/// The preferential-treatment card (优待证) as the veterans' platform records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    Issued(NaiveDate),
    Applied,
    None,
}

/// The person's record on the veterans' platform (优抚对象).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VeteranFacts {
    /// `01`–`06`.
    pub category: u8,
    /// 1–10 for a disabled veteran (`06`).
    pub disability_level: Option<u8>,
    pub discharge_year: u16,
    pub card: CardState,
    pub in_difficulty: bool,
    pub last_visit: Option<NaiveDate>,
    /// What the platform says; true for everyone the register has cancelled on death,
    /// unless a fault was planted.
    pub deceased: bool,
}

/// The person's family-doctor contract on the health platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoctorFacts {
    pub active: bool,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// 0 basic, 1 elderly, 2 chronic, 3 disabled.
    pub package: u8,
    /// Which of the village's doctors (a number within the village).
    pub doctor: u8,
}

/// The person's record on the rural revitalisation register (防返贫监测).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PovertyFacts {
    /// 1 lifted out of poverty, 2 monitored against relapse.
    pub kind: u8,
    /// 1–3 for a monitored household.
    pub risk: Option<u8>,
    pub eliminated: Option<NaiveDate>,
    /// (`EMPLOYMENT` …, since).
    pub assistance: Vec<(&'static str, NaiveDate)>,
    /// `EMPLOYED`, `LOCAL_WORK`, `MIGRANT_WORK`, `UNEMPLOYED` or `UNABLE`.
    pub work: &'static str,
}

/// One resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id_number: IdNumber,
    /// The name as written in the household register (the reference spelling).
    pub name: CompactName,
    pub sex: Sex,
    pub ethnicity: Ethnicity,
    pub relationship: Relationship,
    pub household: u32,
    pub village: u32,
    /// Mobile number, 0 if none.
    pub phone: u64,
    pub card: CardValidity,
    pub registration: Registration,
    pub disability: Option<Disability>,
    pub medical: Option<MedicalFacts>,
    pub social: Option<SocialFacts>,
    pub assistance: Box<[Assistance]>,
    /// On the veterans' platform (a few percent of adults).
    pub veteran: Option<Box<VeteranFacts>>,
    /// A family-doctor contract on the health platform.
    pub doctor: Option<Box<DoctorFacts>>,
    /// On the rural revitalisation register.
    pub poverty: Option<Box<PovertyFacts>>,
    /// The faults the generator planted on this person.
    pub planted: AlertSet,
}

impl Person {
    pub fn birth_date(&self) -> NaiveDate {
        self.id_number.birth_date()
    }

    pub fn is_normal(&self) -> bool {
        self.registration == Registration::Normal
    }
}

/// One household (户).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Index into `Population::villages`.
    pub village: u32,
    /// 1-based number within the village.
    pub seq: u16,
    pub people: Range<u32>,
}

/// One village or community with its place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    /// The 12-digit statistical code.
    pub code: RegionCode,
    /// `Village` (村委会) or `Community` (居委会).
    pub level: RegionLevel,
    pub name: String,
    pub township: String,
    pub county: String,
    pub prefecture: String,
    /// Indexes into `Population::people`.
    pub people: Range<u32>,
    /// Indexes into `Population::households`.
    pub households: Range<u32>,
}

impl Village {
    /// The registered address prefix: 吉林省…市…县…镇…村.
    pub fn address(&self) -> String {
        format!(
            "吉林省{}{}{}{}",
            self.prefecture, self.county, self.township, self.name
        )
    }
}

/// Which department holds a differently spelled name for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameSource {
    Medical,
    Social,
    Civil,
}
