//! The alert types of the schema.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::follow_up::AlertFollowUp;
use crate::{
    error::{AppError, ResultExt},
    graphql::{context::ContextExt, resident::Resident},
    screening::{self, Fact, follow_up::FollowUp},
};

/// A cross-department check (政策找人, "policy finds the person").
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertKind {
    /// 死亡仍发放: registration cancelled on death, yet assistance or a pension still in payment.
    DeceasedStillPaid,
    /// 救助对象未参保: dibao or extremely-poor support in payment, but no basic medical insurance (310 or 390) in normal status.
    AssistanceNotInsured,
    /// 高龄未领津贴: aged at or over the configured threshold (default 80), no old-age allowance (高龄津贴) in payment.
    ElderlyNoAllowance,
    /// 重度残疾无护理补贴: disability grade 1 or 2, no nursing subsidy (重度残疾人护理补贴) in payment.
    SevereDisabilityNoNursing,
    /// 养老金资格认证逾期: pensioner whose last eligibility certification (待遇资格认证) is over 12 months old.
    PensionCertOverdue,
    /// 身份证过期: ID card past its valid-until date (an errand the village police officer can run).
    IdCardExpired,
    /// 姓名不一致: the same ID number carries different names in different departments.
    NameMismatch,
    /// 生僻字丢失: a department's name differs only by a rare character (生僻字) its GBK system cannot hold.
    NameEncodingLoss,
    /// 优抚对象未领优待证: a veteran or other entitled person with no preferential-treatment card (优待证) issued.
    VeteranNoCard,
    /// 重点人群未签约家庭医生: aged 65 or over, or disability grade 1 or 2, without a family-doctor contract (家庭医生签约) in force.
    NoFamilyDoctor,
    /// 监测对象失业未帮扶: of working age in a household monitored against relapse (防止返贫监测对象), registered unemployed, with no employment assistance (就业帮扶).
    RelapseUnemployedNoHelp,
    /// 死亡仍在册: registration cancelled on death, yet still on a department's active list (veterans' register, family-doctor contract, relapse monitoring).
    DeceasedStillListed,
}

impl From<screening::AlertKind> for AlertKind {
    fn from(kind: screening::AlertKind) -> Self {
        use screening::AlertKind as K;
        match kind {
            K::DeceasedStillPaid => Self::DeceasedStillPaid,
            K::AssistanceNotInsured => Self::AssistanceNotInsured,
            K::ElderlyNoAllowance => Self::ElderlyNoAllowance,
            K::SevereDisabilityNoNursing => Self::SevereDisabilityNoNursing,
            K::PensionCertOverdue => Self::PensionCertOverdue,
            K::IdCardExpired => Self::IdCardExpired,
            K::NameMismatch => Self::NameMismatch,
            K::NameEncodingLoss => Self::NameEncodingLoss,
            K::VeteranNoCard => Self::VeteranNoCard,
            K::NoFamilyDoctor => Self::NoFamilyDoctor,
            K::RelapseUnemployedNoHelp => Self::RelapseUnemployedNoHelp,
            K::DeceasedStillListed => Self::DeceasedStillListed,
        }
    }
}

impl From<AlertKind> for screening::AlertKind {
    fn from(kind: AlertKind) -> Self {
        use screening::AlertKind as K;
        match kind {
            AlertKind::DeceasedStillPaid => K::DeceasedStillPaid,
            AlertKind::AssistanceNotInsured => K::AssistanceNotInsured,
            AlertKind::ElderlyNoAllowance => K::ElderlyNoAllowance,
            AlertKind::SevereDisabilityNoNursing => K::SevereDisabilityNoNursing,
            AlertKind::PensionCertOverdue => K::PensionCertOverdue,
            AlertKind::IdCardExpired => K::IdCardExpired,
            AlertKind::NameMismatch => K::NameMismatch,
            AlertKind::NameEncodingLoss => K::NameEncodingLoss,
            AlertKind::VeteranNoCard => K::VeteranNoCard,
            AlertKind::NoFamilyDoctor => K::NoFamilyDoctor,
            AlertKind::RelapseUnemployedNoHelp => K::RelapseUnemployedNoHelp,
            AlertKind::DeceasedStillListed => K::DeceasedStillListed,
        }
    }
}

/// What one department said that the alert rests on.
#[derive(SimpleObject, Clone)]
pub struct AlertFact {
    /// The department, e.g. `civil_affairs`.
    pub department: String,
    /// What it said, e.g. "old-age allowance (高龄津贴) in payment since 2021-03".
    pub fact: String,
}

impl From<Fact> for AlertFact {
    fn from(fact: Fact) -> Self {
        Self {
            department: fact.department,
            fact: fact.fact,
        }
    }
}

/// A resident failing a cross-department check, with the departments' facts behind it.
pub struct Alert {
    pub(super) resident_id: String,
    pub(super) kind: screening::AlertKind,
    pub(super) facts: Vec<Fact>,
    pub(super) checked_at: DateTime<Utc>,
    /// Read live for this request (not from a screening run).
    pub(super) live: bool,
    /// The facts as JSON, to compare with those a follow-up was decided on.
    pub(super) facts_json: String,
    /// What was done about it, if anything.
    pub(super) follow_up: Option<FollowUp>,
}

/// A resident failing a cross-department check, with the departments' facts behind it.
#[Object]
impl Alert {
    /// A stable id: the resident and the kind. It is also the alert's node id:
    /// `node(id:)` fetches the alert as the latest screening run stored it.
    pub(crate) async fn id(&self) -> ID {
        ID(format!("{}:{}", self.resident_id, self.kind.code()))
    }

    /// Which check failed.
    async fn kind(&self) -> AlertKind {
        self.kind.into()
    }

    /// What each department said that the alert rests on.
    async fn facts(&self) -> Vec<AlertFact> {
        self.facts.iter().cloned().map(AlertFact::from).collect()
    }

    /// The departments the facts come from.
    async fn departments(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for fact in &self.facts {
            if !seen.contains(&fact.department) {
                seen.push(fact.department.clone());
            }
        }
        seen
    }

    /// When the departments' answers were read: now for a resident's live alerts, the
    /// time of the screening run for stored findings.
    async fn checked_at(&self) -> DateTime<Utc> {
        self.checked_at
    }

    /// Whether the alert was computed live for this request rather than read from the
    /// findings of a screening run.
    async fn live(&self) -> bool {
        self.live
    }

    /// What the village or township did about it (处置): acknowledged, dismissed as a
    /// false positive, or turned into a service request; OPEN while nobody has acted.
    async fn follow_up(&self) -> AlertFollowUp {
        AlertFollowUp::of(self.follow_up.as_ref(), &self.facts_json)
    }

    /// The resident concerned (as the caller may see them).
    async fn resident(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Resident>> {
        let record = ctx
            .request()?
            .residents
            .load_one(self.resident_id.clone())
            .await
            .map_err(AppError::from)
            .or_graphql()?;
        Ok(record.map(|r: Arc<_>| Resident::listed(r)))
    }
}

impl Alert {
    /// A stored finding of a screening run, with its follow-up.
    pub(crate) fn stored(
        alert: screening::findings::StoredAlert,
        follow_up: Option<FollowUp>,
    ) -> Self {
        Self {
            resident_id: alert.resident_id,
            kind: alert.kind,
            facts: alert.facts,
            checked_at: alert.screened_at,
            live: false,
            facts_json: alert.facts_json,
            follow_up,
        }
    }
}
