//! The departments' code tables as GraphQL enums, each value with its Chinese term.

use crate::{adapters::Source, domain::views};

macro_rules! code_enum {
    ($doc:literal $name:ident : $module:ident :: $source:ident { $($variant:ident $(($ignored:tt))? = $vdoc:literal),+ $(,)? }) => {
        #[doc = $doc]
        #[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name {
            $( #[doc = $vdoc] $variant ),+
        }

        impl From<&$module::$source> for $name {
            fn from(value: &$module::$source) -> Self {
                match value {
                    $( $module::$source::$variant $( ($ignored) )? => Self::$variant ),+
                }
            }
        }
    };
}

code_enum!("Basic medical insurance scheme (险种类型)." MedicalScheme: views::MedicalScheme {
    EmployeeBasic = "职工基本医疗保险 (310).",
    ResidentBasic = "城乡居民基本医疗保险 (390).",
    ResidentSeriousIllness = "城乡居民大病医疗保险 (392).",
});

code_enum!("A person's category in a medical insurance scheme (人员类别)." MedicalPersonType: views::MedicalPersonType {
    EmployeeInService = "在职职工 (1101).",
    Retired = "退休人员 (1102).",
    Resident = "城乡居民 (1501).",
    Other(_) = "其他人员类别.",
});

code_enum!("Medical insurance enrolment status (人员参保状态)." MedicalEnrolmentStatus: views::EnrolmentStatus {
    NotInsured = "未参保 (0).",
    Insured = "正常参保 (1).",
    Suspended = "暂停参保 (2).",
    Terminated = "终止参保 (3).",
});

code_enum!("A medical-assistance identity (医疗救助身份)." MedicalAssistanceKind: views::MedicalIdentityKind {
    Dibao = "低保对象: minimum living allowance recipient.",
    ExtremelyPoor = "特困人员: extremely poor person.",
    Monitored = "防返贫监测对象: household monitored for falling back into poverty.",
    Other(_) = "其他身份.",
});

code_enum!("Social insurance scheme (险种)." SocialInsuranceKind: views::SocialInsuranceKind {
    EnterpriseEmployeePension = "企业职工基本养老保险 (110).",
    InstitutionPension = "机关事业单位养老保险 (120).",
    ResidentPension = "城乡居民基本养老保险 (170).",
    Unemployment = "失业保险 (210).",
    WorkInjury = "工伤保险 (410).",
});

code_enum!("Contribution status (缴费状态)." ContributionStatus: views::ContributionStatus {
    Paying = "参保缴费: paying.",
    Suspended = "暂停缴费: suspended.",
    Terminated = "终止缴费: terminated.",
});

code_enum!("Whether a pension is paid (待遇状态)." PensionStatus: views::PensionStatus {
    InPayment = "正常发放: in payment.",
    Stopped = "停发: stopped.",
});

code_enum!("Employment registration status (就业登记状态)." EmploymentStatus: views::EmploymentStatus {
    NotRegistered = "未登记.",
    Employed = "就业.",
    RegisteredUnemployed = "登记失业.",
    InTraining = "培训中.",
});

code_enum!("A social assistance programme (救助项目)." AssistanceProgrammeKind: views::Programme {
    Dibao = "最低生活保障 (低保): minimum living allowance.",
    ExtremelyPoor = "特困人员救助供养: support for the extremely poor.",
    Temporary = "临时救助: temporary assistance.",
    DisabilityLiving = "困难残疾人生活补贴: living subsidy for disabled people in difficulty.",
    SevereDisabilityNursing = "重度残疾人护理补贴: nursing subsidy for the severely disabled.",
    OldAgeAllowance = "高龄津贴: old-age allowance.",
    ChildInDifficulty = "困境儿童保障: children in difficulty.",
});

code_enum!("Whether an assistance programme is paid (救助状态)." AssistanceStatus: views::AssistanceStatus {
    InPayment = "享受中: in payment.",
    Suspended = "暂停: suspended.",
    Ended = "终止: ended.",
});

code_enum!("Disability category (残疾类别, GB/T 26341)." DisabilityCategory: views::DisabilityCategory {
    Visual = "视力残疾.",
    Hearing = "听力残疾.",
    Speech = "言语残疾.",
    Physical = "肢体残疾.",
    Intellectual = "智力残疾.",
    Mental = "精神残疾.",
    Multiple = "多重残疾.",
});

code_enum!("Household registration status as public security reports it (户籍状态)." RegistrationState: views::RegistrationStatus {
    Normal = "正常: registered here.",
    MovedOut = "迁出: moved out.",
    Deceased = "死亡注销: registration cancelled on death.",
});

/// Where a department-backed answer came from (数据来源).
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum FreshnessSource {
    /// 实时: asked of the department during this request.
    Live,
    /// 缓存: a recent answer, within the department's cache lifetime.
    Cache,
    /// 过期缓存: the department failed; an older answer is shown, labelled as such.
    Stale,
}

impl From<Source> for FreshnessSource {
    fn from(source: Source) -> Self {
        match source {
            Source::Live => Self::Live,
            Source::Cache => Self::Cache,
            Source::Stale => Self::Stale,
        }
    }
}
