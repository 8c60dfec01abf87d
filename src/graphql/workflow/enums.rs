//! The codes of village services as GraphQL enums, each value with its Chinese term.

use async_graphql::Enum;

use crate::{
    domain::Department as DomainDepartment,
    workflow::{
        catalogue::{Level, Mode},
        lifecycle::{Action, Level as Turn, Status},
        requests::{AuthorisationMethod as DomainMethod, EventKind},
    },
};

macro_rules! mirror {
    ($doc:literal $name:ident <=> $domain:ty { $($variant:ident => $dvariant:path : $vdoc:literal),+ $(,)? }) => {
        #[doc = $doc]
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name {
            $( #[doc = $vdoc] $variant ),+
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value {
                    $( $dvariant => Self::$variant ),+
                }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $dvariant ),+
                }
            }
        }
    };
}

mirror!("Where a service request stands (办理状态)." ServiceRequestStatus <=> Status {
    Reported => Status::Reported: "已上报: reported by the village, waiting for the township.",
    Accepted => Status::Accepted: "乡镇已受理: the township took it on, to resolve or route.",
    ResolvedByTownship => Status::ResolvedByTownship: "乡镇已办结: solved by the township; the village confirms.",
    Routed => Status::Routed: "已派单（吹哨）: routed to a county department, which responds.",
    Responded => Status::Responded: "部门已反馈（报到）: the department responded; the village confirms.",
    Resolved => Status::Resolved: "已办结: the village confirmed the need is met.",
    Returned => Status::Returned: "已退回: sent back to the village for more information.",
    Rejected => Status::Rejected: "已驳回: refused, with a reason.",
    FollowUp => Status::FollowUp: "差评整改: rated dissatisfied after it was resolved; the township answers the rating.",
});

mirror!("An action that moves a service request along." ServiceRequestAction <=> Action {
    Accept => Action::Accept: "受理: the township takes a reported need on.",
    ResolveByTownship => Action::ResolveByTownship: "乡镇办结: the township solves it itself.",
    Route => Action::Route: "派单（吹哨）: the township routes it to a county department.",
    Respond => Action::Respond: "反馈（报到）: the department reports what it did.",
    ReturnToTownship => Action::ReturnToTownship: "退回乡镇: the department sends it back to the township.",
    Return => Action::Return: "退回村: the township sends it back to the village.",
    Resubmit => Action::Resubmit: "重新上报: the village sends a returned request again.",
    Reject => Action::Reject: "驳回: the township or the department refuses it.",
    ConfirmResolved => Action::ConfirmResolved: "确认办结: the village confirms the need is met.",
    AnswerFollowUp => Action::AnswerFollowUp: "差评回应: the township answers a dissatisfied rating, saying what it did.",
});

/// Who acts next on a service request (当前办理层级).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ServiceLevel {
    /// 村: the village assistant.
    Village,
    /// 乡镇: the township officer.
    Township,
    /// 县级部门: the county department it was routed to.
    Department,
}

impl From<Turn> for ServiceLevel {
    fn from(value: Turn) -> Self {
        match value {
            Turn::Village => Self::Village,
            Turn::Township => Self::Township,
            Turn::Department => Self::Department,
        }
    }
}

/// What happened on a service request's timeline (办理记录).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ServiceRequestEventKind {
    /// 上报: the village opened it.
    Opened,
    /// 受理.
    Accepted,
    /// 乡镇办结.
    ResolvedByTownship,
    /// 派单（吹哨）.
    Routed,
    /// 部门反馈（报到）.
    Responded,
    /// 退回乡镇.
    ReturnedToTownship,
    /// 退回村.
    Returned,
    /// 重新上报.
    Resubmitted,
    /// 驳回.
    Rejected,
    /// 确认办结.
    Resolved,
    /// 超时督办: the step passed its deadline and was escalated.
    Escalated,
    /// 评价: the villager rated the resolved request (好差评).
    Rated,
    /// 差评回应: the township answered a dissatisfied rating.
    FollowUpAnswered,
}

impl From<EventKind> for ServiceRequestEventKind {
    fn from(value: EventKind) -> Self {
        match value {
            EventKind::Opened => Self::Opened,
            EventKind::Escalated => Self::Escalated,
            EventKind::Rated => Self::Rated,
            EventKind::Transition(action) => match action {
                Action::Accept => Self::Accepted,
                Action::ResolveByTownship => Self::ResolvedByTownship,
                Action::Route => Self::Routed,
                Action::Respond => Self::Responded,
                Action::ReturnToTownship => Self::ReturnedToTownship,
                Action::Return => Self::Returned,
                Action::Resubmit => Self::Resubmitted,
                Action::Reject => Self::Rejected,
                Action::ConfirmResolved => Self::Resolved,
                Action::AnswerFollowUp => Self::FollowUpAnswered,
            },
        }
    }
}

mirror!("How satisfied a villager is with a resolved service request: the five levels of the national rating of government services (政务服务“好差评”)." SatisfactionLevel <=> crate::workflow::ratings::Level {
    VerySatisfied => crate::workflow::ratings::Level::VerySatisfied: "非常满意: very satisfied.",
    Satisfied => crate::workflow::ratings::Level::Satisfied: "满意: satisfied.",
    FairlySatisfied => crate::workflow::ratings::Level::FairlySatisfied: "基本满意: fairly satisfied.",
    Dissatisfied => crate::workflow::ratings::Level::Dissatisfied: "不满意: dissatisfied; the township answers the rating.",
    VeryDissatisfied => crate::workflow::ratings::Level::VeryDissatisfied: "非常不满意: very dissatisfied; the township answers the rating.",
});

mirror!("How a village handles a service for a villager (办理方式)." HandlingMode <=> Mode {
    Proxy => Mode::Proxy: "帮办代办: the assistant handles it on the villager's behalf.",
    Video => Mode::Video: "视频办: by video call with the department.",
    Online => Mode::Online: "全程网办: fully online.",
    InVillage => Mode::InVillage: "不出村: in the village, without travelling.",
});

/// Who issued a catalogue item (目录层级).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CatalogueLevel {
    /// 省级参考目录: the province's reference list.
    ProvincialReference,
    /// 市级指导目录: a prefecture's guidance list.
    MunicipalGuidance,
    /// 县级基本目录: a county's basic list.
    CountyBasic,
}

impl From<Level> for CatalogueLevel {
    fn from(value: Level) -> Self {
        match value {
            Level::ProvincialReference => Self::ProvincialReference,
            Level::MunicipalGuidance => Self::MunicipalGuidance,
            Level::CountyBasic => Self::CountyBasic,
        }
    }
}

mirror!("A county department a service request can be routed to (县级部门)." Department <=> DomainDepartment {
    MedicalInsurance => DomainDepartment::MedicalInsurance: "医疗保障局: medical insurance.",
    SocialSecurity => DomainDepartment::SocialSecurity: "人力资源和社会保障局: human resources and social security.",
    CivilAffairs => DomainDepartment::CivilAffairs: "民政局: civil affairs.",
    PublicSecurity => DomainDepartment::PublicSecurity: "公安局: public security.",
    VeteransAffairs => DomainDepartment::VeteransAffairs: "退役军人事务局: veterans affairs.",
    Health => DomainDepartment::Health: "卫生健康局: health.",
    Agriculture => DomainDepartment::Agriculture: "农业农村局: agriculture and rural affairs.",
    Justice => DomainDepartment::Justice: "司法局: justice.",
    EmergencyManagement => DomainDepartment::EmergencyManagement: "应急管理局: emergency management.",
    Education => DomainDepartment::Education: "教育局: education.",
    Housing => DomainDepartment::Housing: "住房和城乡建设局: housing and construction.",
    Transport => DomainDepartment::Transport: "交通运输局: transport.",
    Postal => DomainDepartment::Postal: "邮政管理局: postal services.",
});

mirror!("How a villager authorised a proxy-handled request (授权方式)." AuthorisationMethod <=> DomainMethod {
    Written => DomainMethod::Written: "书面授权: a signed authorisation form.",
    Fingerprint => DomainMethod::Fingerprint: "按手印: a fingerprint on the form.",
    Video => DomainMethod::Video: "视频授权: recorded on a video call.",
    InPersonWitnessed => DomainMethod::InPersonWitnessed: "当面授权（有见证）: in person, witnessed.",
});

mirror!("A key group a village visits and monitors (重点人群)." KeyGroup <=> crate::workflow::visits::KeyGroup {
    ElderlyLivingAlone => crate::workflow::visits::KeyGroup::ElderlyLivingAlone: "独居老人: an elderly person living alone.",
    SeverelyDisabled => crate::workflow::visits::KeyGroup::SeverelyDisabled: "重度残疾人: a person with a grade 1 or 2 disability.",
    AssistanceRecipient => crate::workflow::visits::KeyGroup::AssistanceRecipient: "低保/特困对象: a recipient of dibao or extremely-poor support.",
    PovertyMonitoring => crate::workflow::visits::KeyGroup::PovertyMonitoring: "防返贫监测对象: monitored for falling back into poverty.",
    LeftBehindElderly => crate::workflow::visits::KeyGroup::LeftBehindElderly: "农村留守老人: an elderly person whose children work away.",
    LeftBehindChild => crate::workflow::visits::KeyGroup::LeftBehindChild: "农村留守儿童: a child whose parents work away.",
    EntitledGroup => crate::workflow::visits::KeyGroup::EntitledGroup: "优抚对象: a veteran or other person entitled to preferential treatment.",
    Other => crate::workflow::visits::KeyGroup::Other: "其他: another resident the village keeps an eye on.",
});

mirror!("Where an alert stands with the people who follow it up (处置状态)." AlertFollowUpState <=> crate::screening::follow_up::FollowUpState {
    Open => crate::screening::follow_up::FollowUpState::Open: "待处置: nobody has acted on it yet, or it was dismissed and its facts changed since.",
    Acknowledged => crate::screening::follow_up::FollowUpState::Acknowledged: "已知悉: acknowledged; someone is on it.",
    Dismissed => crate::screening::follow_up::FollowUpState::Dismissed: "已排除（误报）: dismissed as a false positive; hidden while its facts stay the same.",
    RequestOpened => crate::screening::follow_up::FollowUpState::RequestOpened: "已转办: turned into a service request.",
});
