//! 民政: social-assistance programmes, as civil affairs records them.

use super::{Money, YearMonth};
use crate::domain::IdNumber;

/// One assistance record of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistanceRecord {
    /// The ID number the record is held under.
    pub id_number: IdNumber,
    /// The name as civil affairs stores it. Its system holds GBK only: a rare character
    /// (生僻字) may have been replaced by a homophone or a substitute character.
    pub name: String,
    /// Whether the stored name visibly lost a character (`?` or U+FFFD in it). A
    /// homophone substitute cannot be seen here; comparing departments can.
    pub name_lossy: bool,
    /// The 12-digit code of the village or community.
    pub village_code: String,
    pub programme: Programme,
    pub status: AssistanceStatus,
    /// The monthly amount; for temporary assistance (临时救助) the one-off sum.
    pub amount: Money,
    pub start: YearMonth,
    pub end: Option<YearMonth>,
    /// People in the assisted household, where the programme counts them.
    pub household_size: Option<u32>,
    /// For the disability programmes.
    pub disability: Option<Disability>,
}

/// An assistance programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Programme {
    /// 最低生活保障 (低保): minimum living allowance.
    Dibao,
    /// 特困人员救助供养: support for the extremely poor.
    ExtremelyPoor,
    /// 临时救助: temporary assistance.
    Temporary,
    /// 困难残疾人生活补贴: living subsidy for disabled people in difficulty.
    DisabilityLiving,
    /// 重度残疾人护理补贴: nursing subsidy for the severely disabled.
    SevereDisabilityNursing,
    /// 高龄津贴: old-age allowance.
    OldAgeAllowance,
    /// 困境儿童保障: children in difficulty.
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

    /// A stable code, as the statistics name the recipients of each programme.
    pub fn code(self) -> &'static str {
        match self {
            Self::Dibao => "dibao",
            Self::ExtremelyPoor => "extremely_poor",
            Self::Temporary => "temporary",
            Self::DisabilityLiving => "disability_living",
            Self::SevereDisabilityNursing => "severe_disability_nursing",
            Self::OldAgeAllowance => "old_age_allowance",
            Self::ChildInDifficulty => "child_in_difficulty",
        }
    }
}

/// Whether a programme is being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssistanceStatus {
    /// 享受中: in payment.
    InPayment,
    /// 暂停: suspended.
    Suspended,
    /// 终止: ended.
    Ended,
}

/// A disability as the subsidy programmes record it (category after GB/T 26341).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Disability {
    pub category: DisabilityCategory,
    /// 1 (most severe) to 4.
    pub grade: u8,
}

/// Disability category after GB/T 26341.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisabilityCategory {
    /// 视力残疾
    Visual,
    /// 听力残疾
    Hearing,
    /// 言语残疾
    Speech,
    /// 肢体残疾
    Physical,
    /// 智力残疾
    Intellectual,
    /// 精神残疾
    Mental,
    /// 多重残疾
    Multiple,
}
