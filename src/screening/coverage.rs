//! How far the departments' services reach a village's residents (measures 2–4 of the
//! notice), counted from the answers a screening run already holds: no call of its own,
//! no fact about a person kept, only the village's counts, which the run writes to the
//! statistics rollups with the village's alerts.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::views::{
    AssistanceRecord, AssistanceStatus, EnrolmentStatus, IdCardValidity, MedicalInsuranceView,
    PensionStatus, Programme, RegistrationView, SocialInsuranceView,
};

/// Age of the resident pension (城乡居民基本养老保险), which every resident reaches at 60.
/// Employee pensions may start earlier (women at 50 or 55); they are counted from 60 too,
/// so the share reads "of the residents aged 60 or more, how many are paid a pension".
pub const PENSION_AGE: u32 = 60;
/// The disability grades whose holders are owed the nursing subsidy (一级、二级).
pub const SEVERE_GRADES: std::ops::RangeInclusive<u8> = 1..=2;

/// A village's coverage counts, by metric (the statistics' `coverage.*` indicators).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub counts: BTreeMap<String, i64>,
}

/// What the departments said of one resident with a normal registration.
pub struct Answers<'a> {
    pub age: u32,
    pub registration: Option<&'a RegistrationView>,
    pub medical: Option<&'a MedicalInsuranceView>,
    pub social: Option<&'a SocialInsuranceView>,
    pub assistance: &'a [AssistanceRecord],
}

impl Coverage {
    /// Counts one resident with a normal registration, as of `today`.
    pub fn count(&mut self, answers: &Answers<'_>, today: NaiveDate, elderly_age: u32) {
        self.add("screened", 1);
        let insured = answers.medical.is_some_and(|m| {
            m.enrolments
                .iter()
                .any(|e| e.status == EnrolmentStatus::Insured)
        });
        self.split("medically_insured", "not_medically_insured", insured);
        let valid_card = answers.registration.is_some_and(|r| match r.id_card {
            IdCardValidity::LongTerm => true,
            IdCardValidity::Until(day) => day >= today,
            IdCardValidity::NoCard => false,
        });
        self.split("id_card_valid", "id_card_not_valid", valid_card);
        let paid = |programme: Programme| {
            answers
                .assistance
                .iter()
                .any(|r| r.programme == programme && r.status == AssistanceStatus::InPayment)
        };
        if answers.age >= PENSION_AGE {
            self.add("pension_age", 1);
            let in_payment = answers
                .social
                .and_then(|s| s.pension.as_ref())
                .is_some_and(|p| p.status == PensionStatus::InPayment);
            self.split("pension_in_payment", "pension_not_in_payment", in_payment);
        }
        if answers.age >= elderly_age {
            self.add("elderly", 1);
            self.split(
                "old_age_allowance",
                "no_old_age_allowance",
                paid(Programme::OldAgeAllowance),
            );
        }
        let severely_disabled = answers.assistance.iter().any(|r| {
            r.disability
                .is_some_and(|d| SEVERE_GRADES.contains(&d.grade))
        });
        if severely_disabled {
            self.add("severely_disabled", 1);
            self.split(
                "nursing_subsidy",
                "no_nursing_subsidy",
                paid(Programme::SevereDisabilityNursing),
            );
        }
        // The key group "assistance recipient" of visits: minimum living allowance or
        // support for the extremely poor (低保、特困).
        if paid(Programme::Dibao) || paid(Programme::ExtremelyPoor) {
            self.add("assistance_recipients", 1);
        }
        for programme in Programme::ALL {
            if paid(programme) {
                self.add(&format!("recipients.{}", programme.code()), 1);
            }
        }
    }

    fn add(&mut self, metric: &str, n: i64) {
        *self.counts.entry(metric.to_owned()).or_default() += n;
    }

    fn split(&mut self, yes: &str, no: &str, answer: bool) {
        self.add(if answer { yes } else { no }, 1);
    }
}
