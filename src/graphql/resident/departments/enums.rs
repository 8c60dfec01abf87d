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

code_enum!("The category of an entitled person (优抚对象类别)." VeteranCategory: views::VeteranCategory {
    Veteran = "退役军人: veteran.",
    MartyrFamily = "烈属: a martyr's family.",
    DiedOnDutyFamily = "因公牺牲军人遗属: family of a soldier who died on duty.",
    DiedOfIllnessFamily = "病故军人遗属: family of a soldier who died of illness.",
    ServingSoldierFamily = "现役军人家属: a serving soldier's family.",
    DisabledVeteran = "残疾军人: disabled veteran.",
});

code_enum!("Whether the preferential-treatment card (优待证) has been issued." PreferentialCardStatus: views::CardStatus {
    Issued = "已发放: issued.",
    Applied = "已申请: applied for, not yet issued.",
    None = "未申领: not applied for.",
});

code_enum!("The state of a family-doctor contract (签约状态)." ContractStatus: views::ContractStatus {
    Active = "履约中: in force.",
    Inactive = "已解约或到期: ended.",
    EnteredInError = "录入错误: entered in error.",
});

code_enum!("The service package of a family-doctor contract (服务包)." ServicePackage: views::ServicePackage {
    Basic = "基础包: basic.",
    Elderly = "老年人包: for the elderly.",
    Chronic = "慢病包: chronic diseases.",
    Disabled = "残疾人包: for disabled people.",
});

code_enum!("Why a person is on the rural revitalisation register." PovertyKind: views::PovertyKind {
    LiftedOutOfPoverty = "脱贫人口: lifted out of poverty.",
    Monitored = "防止返贫监测对象: monitored against a return to poverty.",
});

code_enum!("The risk a monitored household runs (监测类型)." RelapseRisk: views::RelapseRisk {
    Unstable = "脱贫不稳定户: unstable after being lifted out of poverty.",
    OnTheEdge = "边缘易致贫户: on the edge of poverty.",
    SuddenHardship = "突发严重困难户: in sudden severe difficulty.",
});

code_enum!("A measure of assistance to a monitored household (帮扶措施)." RelapseAssistanceKind: views::RelapseAssistanceKind {
    Employment = "就业帮扶: employment.",
    Industry = "产业帮扶: industry.",
    Education = "教育帮扶: education.",
    Health = "健康帮扶: health.",
    Housing = "住房安全保障: housing.",
    SocialSecurity = "社会保障兜底: social security.",
});

code_enum!("Work as the rural revitalisation register records it (务工状态)." WorkStatus: views::WorkStatus {
    Employed = "已就业: employed.",
    LocalWork = "就地就近就业: working locally.",
    MigrantWork = "外出务工: migrant work.",
    Unemployed = "未就业: not working.",
    Unable = "无劳动能力: unable to work.",
});
