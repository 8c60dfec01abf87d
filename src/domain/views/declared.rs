//! The views of the departments that are connected by a definition file rather than by
//! code (退役军人事务, 卫生健康, 乡村振兴). Each is written once, here; any number of
//! departmental systems fill it through their definitions, whose code tables map the
//! system's own codes onto the words of these enums ([`CodeWord`]).

use chrono::NaiveDate;

/// An enum whose values a definition names by word (`"VETERAN"`, `"ISSUED"`, …).
pub trait CodeWord: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The words of [`Self::ALL`], in the same order.
    const WORDS: &'static [&'static str];
    /// The word a definition's code table uses for this value.
    fn word(self) -> &'static str;
    /// The value a word names.
    fn from_word(word: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.word() == word)
    }
}

macro_rules! code_words {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl CodeWord for $name {
            const ALL: &'static [Self] = &[$(Self::$variant,)+];
            const WORDS: &'static [&'static str] = &[$($word,)+];
            fn word(self) -> &'static str {
                match self { $(Self::$variant => $word,)+ }
            }
        }
    };
}

code_words! {
    /// The category of an entitled person (优抚对象类别).
    pub enum VeteranCategory {
        /// 退役军人.
        Veteran = "VETERAN",
        /// 烈属: a martyr's family.
        MartyrFamily = "MARTYR_FAMILY",
        /// 因公牺牲军人遗属.
        DiedOnDutyFamily = "DIED_ON_DUTY_FAMILY",
        /// 病故军人遗属.
        DiedOfIllnessFamily = "DIED_OF_ILLNESS_FAMILY",
        /// 现役军人家属.
        ServingSoldierFamily = "SERVING_SOLDIER_FAMILY",
        /// 残疾军人.
        DisabledVeteran = "DISABLED_VETERAN",
    }
}

code_words! {
    /// Whether the preferential-treatment card (优待证) has been issued.
    pub enum CardStatus {
        /// 已发放.
        Issued = "ISSUED",
        /// 已申请: applied for, not yet issued.
        Applied = "APPLIED",
        /// 未申领.
        None = "NONE",
    }
}

/// A veteran or other entitled person as the veterans' platform records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VeteranView {
    pub name: Option<String>,
    pub category: VeteranCategory,
    /// 伤残等级 1–10, for a disabled veteran.
    pub disability_level: Option<i64>,
    /// 退役年份.
    pub discharge_year: Option<i64>,
    pub card_status: CardStatus,
    /// 优待证号.
    pub card_number: Option<String>,
    pub card_issued_on: Option<NaiveDate>,
    /// On the register of veterans in difficulty (困难退役军人).
    pub in_difficulty: bool,
    /// The last care visit (走访慰问).
    pub last_visit_on: Option<NaiveDate>,
    /// The platform records the person as deceased.
    pub deceased: bool,
}

code_words! {
    /// The state of a family-doctor contract.
    pub enum ContractStatus {
        /// 履约中.
        Active = "ACTIVE",
        /// 已解约 or expired.
        Inactive = "INACTIVE",
        /// 录入错误.
        EnteredInError = "ENTERED_IN_ERROR",
    }
}

code_words! {
    /// The service package of a family-doctor contract (服务包).
    pub enum ServicePackage {
        /// 基础包.
        Basic = "BASIC",
        /// 老年人包.
        Elderly = "ELDERLY",
        /// 慢病包.
        Chronic = "CHRONIC",
        /// 残疾人包.
        Disabled = "DISABLED",
    }
}

/// A family-doctor contract (家庭医生签约) and the village clinic (村卫生室) serving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyDoctorView {
    pub status: ContractStatus,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// The contracted doctor.
    pub doctor: Option<String>,
    pub clinic_name: String,
    pub clinic_code: Option<String>,
    pub package: Option<ServicePackage>,
}

impl FamilyDoctorView {
    /// Whether the contract is in force on `day`.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.status == ContractStatus::Active && self.end.is_none_or(|end| end >= day)
    }
}

code_words! {
    /// Why a person is on the rural revitalisation register.
    pub enum PovertyKind {
        /// 脱贫人口.
        LiftedOutOfPoverty = "LIFTED_OUT_OF_POVERTY",
        /// 防止返贫监测对象.
        Monitored = "MONITORED",
    }
}

code_words! {
    /// The risk a monitored household runs (监测类型).
    pub enum RelapseRisk {
        /// 脱贫不稳定户.
        Unstable = "UNSTABLE",
        /// 边缘易致贫户.
        OnTheEdge = "ON_THE_EDGE",
        /// 突发严重困难户.
        SuddenHardship = "SUDDEN_HARDSHIP",
    }
}

code_words! {
    /// A kind of assistance given to a monitored household (帮扶措施).
    pub enum RelapseAssistanceKind {
        /// 就业帮扶.
        Employment = "EMPLOYMENT",
        /// 产业帮扶.
        Industry = "INDUSTRY",
        /// 教育帮扶.
        Education = "EDUCATION",
        /// 健康帮扶.
        Health = "HEALTH",
        /// 住房安全保障.
        Housing = "HOUSING",
        /// 社会保障兜底.
        SocialSecurity = "SOCIAL_SECURITY",
    }
}

code_words! {
    /// Work as the rural revitalisation register records it (务工状态).
    pub enum WorkStatus {
        /// 已就业.
        Employed = "EMPLOYED",
        /// 就地就近就业.
        LocalWork = "LOCAL_WORK",
        /// 外出务工.
        MigrantWork = "MIGRANT_WORK",
        /// 未就业.
        Unemployed = "UNEMPLOYED",
        /// 无劳动能力.
        Unable = "UNABLE",
    }
}

/// One measure of assistance and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelapseAssistance {
    pub kind: RelapseAssistanceKind,
    pub since: Option<NaiveDate>,
}

/// A person on the register of people lifted out of poverty and households monitored
/// against relapse (防返贫监测).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PovertyMonitoringView {
    pub name: Option<String>,
    pub household_number: Option<String>,
    pub kind: PovertyKind,
    pub risk: Option<RelapseRisk>,
    /// 风险已消除.
    pub risk_eliminated: bool,
    pub eliminated_on: Option<NaiveDate>,
    pub assistance: Vec<RelapseAssistance>,
    pub work: Option<WorkStatus>,
}

impl PovertyMonitoringView {
    /// Monitored against relapse, the risk not yet eliminated.
    pub fn monitored_now(&self) -> bool {
        self.kind == PovertyKind::Monitored && !self.risk_eliminated
    }

    /// Whether employment assistance is among the measures.
    pub fn has_employment_assistance(&self) -> bool {
        self.assistance
            .iter()
            .any(|a| a.kind == RelapseAssistanceKind::Employment)
    }
}
