//! The views of the departments declared by definition files, as GraphQL objects: a
//! veteran's status and care (退役军人事务), a family-doctor contract (卫生健康), and
//! poverty alleviation and relapse monitoring (乡村振兴). What a caller sees was decided
//! when the object was made.

use async_graphql::SimpleObject;

use super::enums::*;
use super::views::Freshness;
use crate::{
    domain::views::{FamilyDoctorView, PovertyMonitoringView, VeteranView},
    graphql::{resident::codes::Disclosure, scalars::Date},
};

/// A veteran or other entitled person (优抚对象) as the veterans' platform records them.
#[derive(SimpleObject)]
pub struct Veteran {
    /// The category (优抚对象类别).
    pub category: VeteranCategory,
    /// Disability level 1–10 of a disabled veteran (伤残等级); null where only the status is disclosed.
    pub disability_level: Option<i32>,
    /// Year of discharge (退役年份); null where only the status is disclosed.
    pub discharge_year: Option<i32>,
    /// The preferential-treatment card (优待证).
    pub preferential_card: PreferentialCard,
    /// On the register of veterans in difficulty (困难退役军人); null unless the caller
    /// sees care.
    pub in_difficulty: Option<bool>,
    /// The last care visit (走访慰问); null unless the caller sees care.
    pub last_visit_on: Option<Date>,
    /// The platform records the person as deceased.
    pub deceased: bool,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// The preferential-treatment card (优待证).
#[derive(SimpleObject)]
pub struct PreferentialCard {
    /// Whether it has been issued.
    pub status: PreferentialCardStatus,
    /// The card number (优待证号); null where only the status is disclosed.
    pub card_number: Option<String>,
    /// Issued on (发证日期); null where only the status is disclosed.
    pub issued_on: Option<Date>,
}

impl Veteran {
    pub fn from_view(
        view: &VeteranView,
        disclosure: Disclosure,
        care: bool,
        freshness: Freshness,
    ) -> Self {
        let full = disclosure == Disclosure::Full;
        Self {
            category: (&view.category).into(),
            disability_level: view
                .disability_level
                .filter(|_| full)
                .and_then(|n| i32::try_from(n).ok()),
            discharge_year: view
                .discharge_year
                .filter(|_| full)
                .and_then(|n| i32::try_from(n).ok()),
            preferential_card: PreferentialCard {
                status: (&view.card_status).into(),
                card_number: view.card_number.clone().filter(|_| full),
                issued_on: view.card_issued_on.filter(|_| full).map(Date),
            },
            in_difficulty: care.then_some(view.in_difficulty),
            last_visit_on: view.last_visit_on.filter(|_| care).map(Date),
            deceased: view.deceased,
            disclosure,
            freshness,
        }
    }
}

/// A family-doctor contract (家庭医生签约) as the health platform records it.
#[derive(SimpleObject)]
pub struct FamilyDoctorContract {
    /// The state of the contract.
    pub status: ContractStatus,
    /// Signed on, or in force from (签约日期).
    pub start: Date,
    /// Ends on; null while open or where only the status is disclosed.
    pub end: Option<Date>,
    /// The service package (服务包).
    pub service_package: Option<ServicePackage>,
    /// The contracted family doctor; null where only the status is disclosed.
    pub doctor: Option<String>,
    /// The village clinic (村卫生室) serving the contract; null where only the status is disclosed.
    pub clinic: Option<VillageClinic>,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// A village clinic (村卫生室).
#[derive(SimpleObject)]
pub struct VillageClinic {
    /// Its name.
    pub name: String,
    /// Its code in the health platform; null where it gives none.
    pub code: Option<String>,
}

impl FamilyDoctorContract {
    pub fn from_view(
        view: &FamilyDoctorView,
        disclosure: Disclosure,
        freshness: Freshness,
    ) -> Self {
        let full = disclosure == Disclosure::Full;
        Self {
            status: (&view.status).into(),
            start: Date(view.start),
            end: view.end.filter(|_| full).map(Date),
            service_package: view.package.as_ref().map(Into::into),
            doctor: view.doctor.clone().filter(|_| full),
            clinic: full.then(|| VillageClinic {
                name: view.clinic_name.clone(),
                code: view.clinic_code.clone(),
            }),
            disclosure,
            freshness,
        }
    }
}

/// A person on the register of people lifted out of poverty and households monitored
/// against a return to poverty (防返贫监测).
#[derive(SimpleObject)]
pub struct PovertyMonitoring {
    /// Why the person is on the register.
    pub kind: PovertyKind,
    /// The risk of a monitored household (监测类型).
    pub risk: Option<RelapseRisk>,
    /// Whether the risk has been eliminated (风险消除).
    pub risk_eliminated: bool,
    /// When the risk was eliminated.
    pub eliminated_on: Option<Date>,
    /// The household number on the register.
    pub household_number: Option<String>,
    /// Measures of assistance (帮扶措施).
    pub assistance: Vec<RelapseAssistance>,
    /// Work, as the register records it.
    pub work: Option<WorkStatus>,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// One measure of assistance.
#[derive(SimpleObject)]
pub struct RelapseAssistance {
    /// The kind of measure.
    pub kind: RelapseAssistanceKind,
    /// Since when.
    pub since: Option<Date>,
}

impl PovertyMonitoring {
    pub fn from_view(
        view: &PovertyMonitoringView,
        disclosure: Disclosure,
        freshness: Freshness,
    ) -> Self {
        Self {
            kind: (&view.kind).into(),
            risk: view.risk.as_ref().map(Into::into),
            risk_eliminated: view.risk_eliminated,
            eliminated_on: view.eliminated_on.map(Date),
            household_number: view.household_number.clone(),
            assistance: view
                .assistance
                .iter()
                .map(|a| RelapseAssistance {
                    kind: (&a.kind).into(),
                    since: a.since.map(Date),
                })
                .collect(),
            work: view.work.as_ref().map(Into::into),
            disclosure,
            freshness,
        }
    }
}
