//! The cross-department checks of DOMAIN.md as pure functions over what the
//! departments answer about one person. The live `Resident.alerts` field and the
//! screening runs share them, so a stored finding and a live one never disagree.
//!
//! Every check except `DECEASED_STILL_PAID` concerns residents whose registration is
//! normal: people who moved out or died are owed nothing and hold no card to renew.

use chrono::{Months, NaiveDate};

use crate::domain::{
    Department, IdNumber,
    views::{
        AssistanceRecord, AssistanceStatus, CardStatus, EmploymentStatus, EmploymentView,
        EnrolmentStatus, FamilyDoctorView, IdCardValidity, MedicalInsuranceView, MedicalScheme,
        PensionStatus, PovertyMonitoringView, Programme, RegistrationStatus, RegistrationView,
        SocialInsuranceView, VeteranCategory, VeteranView,
    },
};

/// A cross-department check a resident can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    DeceasedStillPaid,
    AssistanceNotInsured,
    ElderlyNoAllowance,
    SevereDisabilityNoNursing,
    PensionCertOverdue,
    IdCardExpired,
    NameMismatch,
    NameEncodingLoss,
    VeteranNoCard,
    NoFamilyDoctor,
    RelapseUnemployedNoHelp,
    DeceasedStillListed,
}

impl AlertKind {
    pub const ALL: [AlertKind; 12] = [
        Self::DeceasedStillPaid,
        Self::AssistanceNotInsured,
        Self::ElderlyNoAllowance,
        Self::SevereDisabilityNoNursing,
        Self::PensionCertOverdue,
        Self::IdCardExpired,
        Self::NameMismatch,
        Self::NameEncodingLoss,
        Self::VeteranNoCard,
        Self::NoFamilyDoctor,
        Self::RelapseUnemployedNoHelp,
        Self::DeceasedStillListed,
    ];

    /// The stable code of DOMAIN.md, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::DeceasedStillPaid => "DECEASED_STILL_PAID",
            Self::AssistanceNotInsured => "ASSISTANCE_NOT_INSURED",
            Self::ElderlyNoAllowance => "ELDERLY_NO_ALLOWANCE",
            Self::SevereDisabilityNoNursing => "SEVERE_DISABILITY_NO_NURSING",
            Self::PensionCertOverdue => "PENSION_CERT_OVERDUE",
            Self::IdCardExpired => "ID_CARD_EXPIRED",
            Self::NameMismatch => "NAME_MISMATCH",
            Self::NameEncodingLoss => "NAME_ENCODING_LOSS",
            Self::VeteranNoCard => "VETERAN_NO_CARD",
            Self::NoFamilyDoctor => "NO_FAMILY_DOCTOR",
            Self::RelapseUnemployedNoHelp => "RELAPSE_UNEMPLOYED_NO_HELP",
            Self::DeceasedStillListed => "DECEASED_STILL_LISTED",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One department's statement behind an alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fact {
    /// The department's claim value, e.g. `civil_affairs`.
    pub department: String,
    pub fact: String,
}

impl Fact {
    fn new(department: Department, fact: impl Into<String>) -> Self {
        Self {
            department: department.as_str().to_owned(),
            fact: fact.into(),
        }
    }
}

/// A failed check and the facts behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: AlertKind,
    pub facts: Vec<Fact>,
}

impl Finding {
    /// The departments the facts come from, without repeats, in order of first mention.
    pub fn departments(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for fact in &self.facts {
            if !seen.contains(&fact.department.as_str()) {
                seen.push(&fact.department);
            }
        }
        seen
    }
}

/// What the departments answered about one person (`None`: no record there).
#[derive(Debug, Clone, Copy, Default)]
pub struct Views<'a> {
    pub registration: Option<&'a RegistrationView>,
    pub medical: Option<&'a MedicalInsuranceView>,
    pub social: Option<&'a SocialInsuranceView>,
    /// Civil affairs' records of the person (empty: none).
    pub assistance: &'a [AssistanceRecord],
    /// Employment registration (人社), where it was asked.
    pub employment: Known<&'a EmploymentView>,
    /// The departments declared by definition files, where they were asked.
    pub veteran: Known<&'a VeteranView>,
    pub family_doctor: Known<&'a FamilyDoctorView>,
    pub poverty: Known<&'a PovertyMonitoringView>,
}

/// What a department said of a person, as far as the checks know: a department not
/// asked (not configured for the village, or not needed) is `Unknown`, and the checks
/// that rest on it are not made — an unknown answer is never taken for "no record".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Known<T> {
    #[default]
    Unknown,
    /// The department has no record of the person.
    Absent,
    Found(T),
}

impl<T> Known<T> {
    /// From an answer: `None` inside is "no record".
    pub fn of(answer: Option<T>) -> Self {
        match answer {
            Some(value) => Self::Found(value),
            None => Self::Absent,
        }
    }

    fn found(self) -> Option<T> {
        match self {
            Self::Found(value) => Some(value),
            _ => None,
        }
    }
}

/// Age from which a family-doctor contract is owed (老年人, 65 and over).
pub const FAMILY_DOCTOR_AGE: u32 = 65;
/// Working age for the relapse-monitoring employment check: 16 to 59.
pub const WORKING_AGE: std::ops::Range<u32> = 16..60;

/// The thresholds the checks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSettings {
    /// The day the checks are made for.
    pub today: NaiveDate,
    /// Age at which the old-age allowance is owed (DOMAIN.md: 80 by default).
    pub elderly_age: u32,
}

/// Every check `id_number` fails, in [`AlertKind`] order.
pub fn evaluate(id_number: &IdNumber, views: &Views<'_>, rules: &RuleSettings) -> Vec<Finding> {
    let mut found = Vec::new();
    let Some(registration) = views.registration else {
        // Without the register the status is unknown, and every check depends on it.
        return found;
    };
    match registration.status {
        RegistrationStatus::Deceased => {
            found.extend(deceased_still_paid(registration, views));
            found.extend(deceased_still_listed(registration, views, rules.today));
            return found;
        }
        RegistrationStatus::MovedOut => return found,
        RegistrationStatus::Normal => {}
    }
    found.extend(assistance_not_insured(views));
    found.extend(elderly_no_allowance(id_number, views, rules));
    found.extend(severe_disability_no_nursing(views));
    found.extend(pension_cert_overdue(views, rules.today));
    found.extend(id_card_expired(registration, rules.today));
    found.extend(name_checks(registration, views));
    found.extend(veteran_no_card(views));
    found.extend(no_family_doctor(id_number, views, rules.today));
    found.extend(relapse_unemployed_no_help(id_number, views, rules.today));
    found
}

fn veteran_no_card(views: &Views<'_>) -> Option<Finding> {
    let veteran = views.veteran.found()?;
    if veteran.deceased || veteran.card_status == CardStatus::Issued {
        return None;
    }
    let card = match veteran.card_status {
        CardStatus::Applied => "applied for, not issued",
        _ => "never applied for",
    };
    Some(Finding {
        kind: AlertKind::VeteranNoCard,
        facts: vec![Fact::new(
            Department::VeteransAffairs,
            format!(
                "{} on the register; preferential-treatment card (优待证) {card}",
                veteran_term(veteran.category)
            ),
        )],
    })
}

fn no_family_doctor(id_number: &IdNumber, views: &Views<'_>, today: NaiveDate) -> Option<Finding> {
    let age = id_number.age_on(today);
    let severe = views
        .assistance
        .iter()
        .find_map(|r| r.disability.filter(|d| d.grade <= 2));
    if age < FAMILY_DOCTOR_AGE && severe.is_none() {
        return None;
    }
    let health = match views.family_doctor {
        Known::Unknown => return None,
        Known::Found(contract) if contract.in_force(today) => return None,
        Known::Found(contract) => format!(
            "family-doctor contract (家庭医生签约) not in force (signed {})",
            contract.start
        ),
        Known::Absent => "no family-doctor contract (家庭医生签约)".to_owned(),
    };
    let mut facts = Vec::new();
    if age >= FAMILY_DOCTOR_AGE {
        facts.push(Fact::new(
            Department::PublicSecurity,
            format!("aged {age}, born {}", id_number.birth_date()),
        ));
    }
    if let Some(disability) = severe {
        facts.push(Fact::new(
            Department::CivilAffairs,
            format!("disability grade {}", disability.grade),
        ));
    }
    facts.push(Fact::new(Department::Health, health));
    Some(Finding {
        kind: AlertKind::NoFamilyDoctor,
        facts,
    })
}

fn relapse_unemployed_no_help(
    id_number: &IdNumber,
    views: &Views<'_>,
    today: NaiveDate,
) -> Option<Finding> {
    let poverty = views.poverty.found()?;
    if !poverty.monitored_now() || poverty.has_employment_assistance() {
        return None;
    }
    let age = id_number.age_on(today);
    if !WORKING_AGE.contains(&age) {
        return None;
    }
    let employment = views.employment.found()?;
    if employment.status != EmploymentStatus::RegisteredUnemployed {
        return None;
    }
    Some(Finding {
        kind: AlertKind::RelapseUnemployedNoHelp,
        facts: vec![
            Fact::new(
                Department::Agriculture,
                "household monitored against relapse (防止返贫监测对象), no employment assistance (就业帮扶)",
            ),
            Fact::new(
                Department::SocialSecurity,
                format!("aged {age}, registered unemployed (登记失业)"),
            ),
        ],
    })
}

fn deceased_still_listed(
    registration: &RegistrationView,
    views: &Views<'_>,
    today: NaiveDate,
) -> Option<Finding> {
    let mut facts = vec![Fact::new(
        Department::PublicSecurity,
        match registration.death_date {
            Some(day) => format!("registration cancelled on death (死亡注销) on {day}"),
            None => "registration cancelled on death (死亡注销)".to_owned(),
        },
    )];
    if let Some(veteran) = views.veteran.found().filter(|v| !v.deceased) {
        facts.push(Fact::new(
            Department::VeteransAffairs,
            format!(
                "{} on the register as living",
                veteran_term(veteran.category)
            ),
        ));
    }
    if let Some(contract) = views.family_doctor.found().filter(|c| c.in_force(today)) {
        facts.push(Fact::new(
            Department::Health,
            format!("family-doctor contract in force since {}", contract.start),
        ));
    }
    if views.poverty.found().is_some_and(|p| p.monitored_now()) {
        facts.push(Fact::new(
            Department::Agriculture,
            "monitored against relapse (防止返贫监测对象), risk not eliminated",
        ));
    }
    (facts.len() > 1).then_some(Finding {
        kind: AlertKind::DeceasedStillListed,
        facts,
    })
}

fn veteran_term(category: VeteranCategory) -> &'static str {
    match category {
        VeteranCategory::Veteran => "veteran (退役军人)",
        VeteranCategory::MartyrFamily => "martyr's family (烈属)",
        VeteranCategory::DiedOnDutyFamily => {
            "family of a soldier who died on duty (因公牺牲军人遗属)"
        }
        VeteranCategory::DiedOfIllnessFamily => {
            "family of a soldier who died of illness (病故军人遗属)"
        }
        VeteranCategory::ServingSoldierFamily => "serving soldier's family (现役军人家属)",
        VeteranCategory::DisabledVeteran => "disabled veteran (残疾军人)",
    }
}

fn paying<'a>(views: &Views<'a>, programme: Programme) -> Option<&'a AssistanceRecord> {
    views
        .assistance
        .iter()
        .find(|r| r.programme == programme && r.status == AssistanceStatus::InPayment)
}

fn deceased_still_paid(registration: &RegistrationView, views: &Views<'_>) -> Option<Finding> {
    let mut facts = vec![Fact::new(
        Department::PublicSecurity,
        match registration.death_date {
            Some(day) => format!("registration cancelled on death (死亡注销) on {day}"),
            None => "registration cancelled on death (死亡注销)".to_owned(),
        },
    )];
    for record in views
        .assistance
        .iter()
        .filter(|r| r.status == AssistanceStatus::InPayment)
    {
        facts.push(Fact::new(
            Department::CivilAffairs,
            format!(
                "{} in payment since {}",
                programme_term(record.programme),
                record.start
            ),
        ));
    }
    if let Some(pension) = views
        .social
        .and_then(|s| s.pension.as_ref())
        .filter(|p| p.status == PensionStatus::InPayment)
    {
        facts.push(Fact::new(
            Department::SocialSecurity,
            format!("pension (养老金) in payment since {}", pension.start),
        ));
    }
    (facts.len() > 1).then_some(Finding {
        kind: AlertKind::DeceasedStillPaid,
        facts,
    })
}

fn assistance_not_insured(views: &Views<'_>) -> Option<Finding> {
    let support =
        paying(views, Programme::Dibao).or_else(|| paying(views, Programme::ExtremelyPoor))?;
    let insured = views.medical.is_some_and(|m| {
        m.enrolments.iter().any(|e| {
            e.status == EnrolmentStatus::Insured
                && matches!(
                    e.scheme,
                    MedicalScheme::EmployeeBasic | MedicalScheme::ResidentBasic
                )
        })
    });
    if insured {
        return None;
    }
    let medical = match views.medical {
        None => "no medical insurance record".to_owned(),
        Some(view) => {
            let basic: Vec<String> = view
                .enrolments
                .iter()
                .filter(|e| {
                    matches!(
                        e.scheme,
                        MedicalScheme::EmployeeBasic | MedicalScheme::ResidentBasic
                    )
                })
                .map(|e| format!("{} {}", scheme_term(e.scheme), enrolment_term(e.status)))
                .collect();
            if basic.is_empty() {
                "no basic medical insurance (310/390)".to_owned()
            } else {
                basic.join("; ")
            }
        }
    };
    Some(Finding {
        kind: AlertKind::AssistanceNotInsured,
        facts: vec![
            Fact::new(
                Department::CivilAffairs,
                format!(
                    "{} in payment since {}",
                    programme_term(support.programme),
                    support.start
                ),
            ),
            Fact::new(Department::MedicalInsurance, medical),
        ],
    })
}

fn elderly_no_allowance(
    id_number: &IdNumber,
    views: &Views<'_>,
    rules: &RuleSettings,
) -> Option<Finding> {
    let age = id_number.age_on(rules.today);
    if age < rules.elderly_age || paying(views, Programme::OldAgeAllowance).is_some() {
        return None;
    }
    Some(Finding {
        kind: AlertKind::ElderlyNoAllowance,
        facts: vec![
            Fact::new(
                Department::PublicSecurity,
                format!("aged {age}, born {}", id_number.birth_date()),
            ),
            Fact::new(
                Department::CivilAffairs,
                "no old-age allowance (高龄津贴) in payment",
            ),
        ],
    })
}

fn severe_disability_no_nursing(views: &Views<'_>) -> Option<Finding> {
    let (record, disability) = views
        .assistance
        .iter()
        .find_map(|r| r.disability.filter(|d| d.grade <= 2).map(|d| (r, d)))?;
    if paying(views, Programme::SevereDisabilityNursing).is_some() {
        return None;
    }
    Some(Finding {
        kind: AlertKind::SevereDisabilityNoNursing,
        facts: vec![
            Fact::new(
                Department::CivilAffairs,
                format!(
                    "disability grade {} recorded with {}",
                    disability.grade,
                    programme_term(record.programme)
                ),
            ),
            Fact::new(
                Department::CivilAffairs,
                "no nursing subsidy (重度残疾人护理补贴) in payment",
            ),
        ],
    })
}

fn pension_cert_overdue(views: &Views<'_>, today: NaiveDate) -> Option<Finding> {
    let pension = views
        .social
        .and_then(|s| s.pension.as_ref())
        .filter(|p| p.status == PensionStatus::InPayment)?;
    let limit = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    let fact = match pension.last_certified {
        Some(day) if day < limit => format!("pension in payment, last certified (资格认证) {day}"),
        Some(_) => return None,
        None => "pension in payment, never certified (资格认证)".to_owned(),
    };
    Some(Finding {
        kind: AlertKind::PensionCertOverdue,
        facts: vec![Fact::new(Department::SocialSecurity, fact)],
    })
}

fn id_card_expired(registration: &RegistrationView, today: NaiveDate) -> Option<Finding> {
    match registration.id_card {
        IdCardValidity::Until(until) if until < today => Some(Finding {
            kind: AlertKind::IdCardExpired,
            facts: vec![Fact::new(
                Department::PublicSecurity,
                format!("ID card valid until {until}"),
            )],
        }),
        _ => None,
    }
}

/// NAME_MISMATCH and NAME_ENCODING_LOSS: each department's spelling against the register.
fn name_checks(registration: &RegistrationView, views: &Views<'_>) -> Vec<Finding> {
    let reference = registration.name.as_str();
    let mut spellings: Vec<(Department, &str)> = Vec::new();
    if let Some(m) = views.medical {
        spellings.push((Department::MedicalInsurance, &m.name));
    }
    if let Some(s) = views.social {
        spellings.push((Department::SocialSecurity, &s.name));
    }
    let mut civil: Vec<&str> = views.assistance.iter().map(|r| r.name.as_str()).collect();
    civil.dedup();
    spellings.extend(civil.into_iter().map(|n| (Department::CivilAffairs, n)));
    let mut mismatch = Vec::new();
    let mut loss = Vec::new();
    for (department, name) in spellings.into_iter().filter(|(_, n)| *n != reference) {
        let fact = Fact::new(department, format!("name recorded as {name}"));
        if only_gbk_losses(reference, name) {
            loss.push(fact);
        } else {
            mismatch.push(fact);
        }
    }
    let register = || {
        Fact::new(
            Department::PublicSecurity,
            format!("registered name {reference}"),
        )
    };
    let mut found = Vec::new();
    for (kind, facts) in [
        (AlertKind::NameMismatch, mismatch),
        (AlertKind::NameEncodingLoss, loss),
    ] {
        if !facts.is_empty() {
            let mut all = vec![register()];
            all.extend(facts);
            found.push(Finding { kind, facts: all });
        }
    }
    found
}

/// Whether `stored` differs from `reference` only where `reference` has a character GBK
/// cannot hold (生僻字), which a GBK system had to replace.
pub fn only_gbk_losses(reference: &str, stored: &str) -> bool {
    let a: Vec<char> = reference.chars().collect();
    let b: Vec<char> = stored.chars().collect();
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || !encodable_in_gbk(*x))
}

fn encodable_in_gbk(c: char) -> bool {
    let mut buf = [0u8; 4];
    !encoding_rs::GBK.encode(c.encode_utf8(&mut buf)).2
}

fn programme_term(programme: Programme) -> &'static str {
    match programme {
        Programme::Dibao => "dibao (最低生活保障)",
        Programme::ExtremelyPoor => "extremely-poor support (特困人员救助供养)",
        Programme::Temporary => "temporary assistance (临时救助)",
        Programme::DisabilityLiving => "disability living subsidy (困难残疾人生活补贴)",
        Programme::SevereDisabilityNursing => "nursing subsidy (重度残疾人护理补贴)",
        Programme::OldAgeAllowance => "old-age allowance (高龄津贴)",
        Programme::ChildInDifficulty => "children in difficulty (困境儿童保障)",
    }
}

fn scheme_term(scheme: MedicalScheme) -> &'static str {
    match scheme {
        MedicalScheme::EmployeeBasic => "employee basic (310)",
        MedicalScheme::ResidentBasic => "resident basic (390)",
        MedicalScheme::ResidentSeriousIllness => "resident serious illness (392)",
    }
}

fn enrolment_term(status: EnrolmentStatus) -> &'static str {
    match status {
        EnrolmentStatus::NotInsured => "not insured",
        EnrolmentStatus::Insured => "insured",
        EnrolmentStatus::Suspended => "suspended",
        EnrolmentStatus::Terminated => "terminated",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "rules_tests.rs"]
mod tests;
