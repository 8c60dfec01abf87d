//! Ground truth: the cross-department alert kinds of DOMAIN.md, the rates at which the
//! generator plants them, and the rules that decide them from a person's facts.
//!
//! # The rules, exactly as planted
//!
//! "Today" is part of the generator input. Every rule except `DECEASED_STILL_PAID` applies
//! only to residents whose registration (公安 `hjzt`) is normal: people who moved out or
//! died are not checked. A person carries an alert **if and only if** the generator
//! planted it:
//!
//! | kind | condition on what the departments answer |
//! |---|---|
//! | `DECEASED_STILL_PAID` | registration cancelled on death, and a civil-affairs record in payment or a pension (`aic`) in payment |
//! | `ASSISTANCE_NOT_INSURED` | dibao or 特困 record in payment, and no 310/390 record with `psn_insu_stas` 1 (no medical record at all, or 390 suspended) |
//! | `ELDERLY_NO_ALLOWANCE` | aged ≥ 80 today (birth date of the ID number), and no 高龄津贴 record in payment |
//! | `SEVERE_DISABILITY_NO_NURSING` | a civil-affairs record shows disability grade 1 or 2, and no 重度残疾人护理补贴 record in payment |
//! | `PENSION_CERT_OVERDUE` | pension in payment and `last_cert_date` earlier than today minus 12 months |
//! | `ID_CARD_EXPIRED` | `sfzyxqz` before today (`长期` and no card never expire) |
//! | `NAME_MISMATCH` | medical `psn_name`, social `aac003` or civil `Name` differs from 公安 `xm`, other than by GBK substitution |
//! | `NAME_ENCODING_LOSS` | civil `Name` differs from `xm` only where `xm` has a character GBK cannot encode |
//! | `VETERAN_NO_CARD` | on the veterans' platform, not deceased there, and `preferentialCard.status` not `ISSUED` |
//! | `NO_FAMILY_DOCTOR` | aged ≥ 65, or a civil-affairs record shows disability grade 1 or 2, and no family-doctor `CareTeam` `active` without a past `period.end` |
//! | `RELAPSE_UNEMPLOYED_NO_HELP` | on the rural revitalisation register as monitored (`kind` 2) with the risk not eliminated, aged 16–59, registered unemployed with social security, and no `EMPLOYMENT` assistance |
//! | `DECEASED_STILL_LISTED` | registration cancelled on death, yet not `deceased` on the veterans' platform, an `active` family-doctor contract, or monitored with the risk not eliminated on the rural revitalisation register |
//!
//! Unplanted people are generated clear of every rule: everyone aged 80 or more has the
//! allowance, every grade 1–2 disabled person has the nursing subsidy, every dibao/特困
//! recipient is insured, certifications are under 11 months old, cards are valid for at
//! least 30 more days, and dead people's payments have all stopped. NAME_ENCODING_LOSS is
//! not drawn but follows from the facts: every normal resident with a rare character in
//! the name who has a civil-affairs record carries it.

use chrono::{Months, NaiveDate};

use super::population::{
    AssistanceStatus, CardState, DOCTOR_AGE, DoctorFacts, Employment, InsuranceStatus,
    MedicalScheme, NameSource, Person, Population, PovertyFacts, Programme, Registration,
    WORKING_AGE, names,
};
use crate::domain::IdNumber;

/// The alert kinds of the cross-department checks.
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

    /// The stable code of DOMAIN.md.
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

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of alert kinds (one bit each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AlertSet(u16);

impl AlertSet {
    pub fn insert(&mut self, kind: AlertKind) {
        self.0 |= kind.bit();
    }

    pub fn contains(self, kind: AlertKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = AlertKind> {
        AlertKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

/// The age threshold of ELDERLY_NO_ALLOWANCE.
pub const ELDERLY_AGE: u32 = 80;

/// How often each fault is planted, as a probability per eligible person.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultRates {
    /// Of the dead who had a pension or an assistance record: one payment left running.
    pub deceased_still_paid: f64,
    /// Of dibao/特困 recipients in payment: no medical record (half) or 390 suspended.
    pub assistance_not_insured: f64,
    /// Of residents aged 80 or more: no old-age allowance.
    pub elderly_no_allowance: f64,
    /// Of residents with disability grade 1 or 2: a living subsidy but no nursing subsidy.
    pub severe_disability_no_nursing: f64,
    /// Of pensioners in payment: last certification 400 to 900 days ago.
    pub pension_cert_overdue: f64,
    /// Of residents aged 16 or more with a card: expired 1 to 1000 days ago.
    pub id_card_expired: f64,
    /// Of residents with a record in medical, social or civil affairs and no rare
    /// character in the name: one of those departments spells the name differently.
    pub name_mismatch: f64,
    /// Share of people with a rare (non-GBK) character in the given name.
    pub rare_name: f64,
    /// Of living entitled persons on the veterans' platform: no card issued.
    #[serde(default = "defaults::veteran_no_card")]
    pub veteran_no_card: f64,
    /// Of residents aged 65 or more or severely disabled: no family-doctor contract.
    #[serde(default = "defaults::no_family_doctor")]
    pub no_family_doctor: f64,
    /// Of monitored, working-age, registered unemployed people: no employment assistance.
    #[serde(default = "defaults::relapse_unemployed_no_help")]
    pub relapse_unemployed_no_help: f64,
    /// Of the dead on a declared department's list: still listed as alive, in force or
    /// monitored there.
    #[serde(default = "defaults::deceased_still_listed")]
    pub deceased_still_listed: f64,
}

/// The default rates of the declared departments' faults (also for older rate files).
mod defaults {
    pub(super) fn veteran_no_card() -> f64 {
        0.15
    }
    pub(super) fn no_family_doctor() -> f64 {
        0.08
    }
    pub(super) fn relapse_unemployed_no_help() -> f64 {
        0.5
    }
    pub(super) fn deceased_still_listed() -> f64 {
        0.3
    }
}

impl Default for FaultRates {
    fn default() -> Self {
        Self {
            deceased_still_paid: 0.08,
            assistance_not_insured: 0.05,
            elderly_no_allowance: 0.06,
            severe_disability_no_nursing: 0.10,
            pension_cert_overdue: 0.04,
            id_card_expired: 0.03,
            name_mismatch: 0.005,
            rare_name: 0.004,
            veteran_no_card: defaults::veteran_no_card(),
            no_family_doctor: defaults::no_family_doctor(),
            relapse_unemployed_no_help: defaults::relapse_unemployed_no_help(),
            deceased_still_listed: defaults::deceased_still_listed(),
        }
    }
}

/// One entry of the truth list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedFault {
    pub id_number: IdNumber,
    pub kinds: Vec<AlertKind>,
}

impl Population {
    /// Every person carrying a planted fault, in population order, with the kinds.
    pub fn planted_faults(&self) -> Vec<PlantedFault> {
        self.people
            .iter()
            .filter(|p| !p.planted.is_empty())
            .map(|p| PlantedFault {
                id_number: p.id_number,
                kinds: p.planted.iter().collect(),
            })
            .collect()
    }

    /// How many people carry each kind.
    pub fn planted_counts(&self) -> Vec<(AlertKind, usize)> {
        AlertKind::ALL
            .into_iter()
            .map(|k| {
                (
                    k,
                    self.people.iter().filter(|p| p.planted.contains(k)).count(),
                )
            })
            .collect()
    }
}

/// Decides the alerts of one person from the generated facts, by the rules above
/// (independently of the planted flags, so tests can compare the two).
pub fn evaluate(population: &Population, index: usize, today: NaiveDate) -> AlertSet {
    let mut set = AlertSet::default();
    let Some(person) = population.people.get(index) else {
        return set;
    };
    let paying = |p: Programme| {
        person
            .assistance
            .iter()
            .any(|a| a.programme == p && a.status == AssistanceStatus::InPayment)
    };
    let pension_paid = person
        .social
        .and_then(|s| s.pension)
        .filter(|p| p.in_payment);
    if let Registration::Deceased(_) = person.registration {
        let civil_paid = person
            .assistance
            .iter()
            .any(|a| a.status == AssistanceStatus::InPayment);
        if civil_paid || pension_paid.is_some() {
            set.insert(AlertKind::DeceasedStillPaid);
        }
        let listed = person.veteran.as_ref().is_some_and(|v| !v.deceased)
            || person.doctor.as_ref().is_some_and(|d| in_force(d, today))
            || person.poverty.as_ref().is_some_and(|p| watched(p));
        if listed {
            set.insert(AlertKind::DeceasedStillListed);
        }
        return set;
    }
    if !person.is_normal() {
        return set;
    }
    let insured = person.medical.is_some_and(|m| {
        m.status == InsuranceStatus::Insured
            && matches!(m.scheme, MedicalScheme::Employee | MedicalScheme::Resident)
    });
    if (paying(Programme::Dibao) || paying(Programme::ExtremelyPoor)) && !insured {
        set.insert(AlertKind::AssistanceNotInsured);
    }
    if person.id_number.age_on(today) >= ELDERLY_AGE && !paying(Programme::OldAgeAllowance) {
        set.insert(AlertKind::ElderlyNoAllowance);
    }
    let severe = person
        .assistance
        .iter()
        .any(|a| a.disability.is_some_and(|d| d.grade <= 2));
    if severe && !paying(Programme::SevereDisabilityNursing) {
        set.insert(AlertKind::SevereDisabilityNoNursing);
    }
    if let Some(pension) = pension_paid {
        let limit = today.checked_sub_months(Months::new(12)).unwrap_or(today);
        if pension.last_cert < limit {
            set.insert(AlertKind::PensionCertOverdue);
        }
    }
    if let super::population::CardValidity::Until(until) = person.card
        && until < today
    {
        set.insert(AlertKind::IdCardExpired);
    }
    if person
        .veteran
        .as_ref()
        .is_some_and(|v| !v.deceased && !matches!(v.card, CardState::Issued(_)))
    {
        set.insert(AlertKind::VeteranNoCard);
    }
    let age = person.id_number.age_on(today);
    if (age >= DOCTOR_AGE || severe) && !person.doctor.as_ref().is_some_and(|d| in_force(d, today))
    {
        set.insert(AlertKind::NoFamilyDoctor);
    }
    let unemployed = person
        .social
        .is_some_and(|s| s.employment == Employment::RegisteredUnemployed);
    let unhelped = person
        .poverty
        .as_ref()
        .is_some_and(|p| watched(p) && !p.assistance.iter().any(|(kind, _)| *kind == "EMPLOYMENT"));
    if unhelped && unemployed && WORKING_AGE.contains(&age) {
        set.insert(AlertKind::RelapseUnemployedNoHelp);
    }
    name_alerts(population, index, person, &mut set);
    set
}

/// A family-doctor contract in force on `today`.
fn in_force(doctor: &DoctorFacts, today: NaiveDate) -> bool {
    doctor.active && doctor.end.is_none_or(|end| end >= today)
}

/// Monitored against relapse, the risk not eliminated.
fn watched(poverty: &PovertyFacts) -> bool {
    poverty.kind == 2 && poverty.eliminated.is_none()
}

fn name_alerts(population: &Population, index: usize, person: &Person, set: &mut AlertSet) {
    let police = person.name.as_str();
    let mut names = Vec::new();
    if person.medical.is_some() {
        names.push((
            NameSource::Medical,
            population.department_name(index, NameSource::Medical),
        ));
    }
    if person.social.is_some() {
        names.push((
            NameSource::Social,
            population.department_name(index, NameSource::Social),
        ));
    }
    if !person.assistance.is_empty() {
        names.push((
            NameSource::Civil,
            population.department_name(index, NameSource::Civil),
        ));
    }
    for (_, name) in names {
        if name == police {
            continue;
        }
        if only_gbk_losses(police, &name) {
            set.insert(AlertKind::NameEncodingLoss);
        } else {
            set.insert(AlertKind::NameMismatch);
        }
    }
}

/// Whether `stored` differs from `reference` only where `reference` has a character that
/// GBK cannot encode.
pub fn only_gbk_losses(reference: &str, stored: &str) -> bool {
    let a: Vec<char> = reference.chars().collect();
    let b: Vec<char> = stored.chars().collect();
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x == y || {
                let mut buf = [0u8; 4];
                encoding_rs::GBK.encode(x.encode_utf8(&mut buf)).2
            }
        })
}

/// The rare-character rule, for the generator: who carries NAME_ENCODING_LOSS.
pub(crate) fn loses_in_gbk(person: &Person) -> bool {
    person.is_normal()
        && !person.assistance.is_empty()
        && names::has_rare_character(person.name.as_str())
}
