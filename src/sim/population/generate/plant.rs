//! Planting the faults of the truth list on generated people.

use chrono::Days;
use rand::Rng;

use super::VillageGen;
use crate::sim::population::model::*;
use crate::sim::population::names::{self, CompactName};
use crate::sim::truth::{AlertKind, ELDERLY_AGE};

impl VillageGen<'_> {
    /// Plants every fault kind except the name kinds on one person.
    pub(super) fn plant(&mut self, person: &mut Person) {
        let rates = self.options.rates;
        let today = self.today();
        if let Registration::Deceased(_) = person.registration {
            let pension = person.social.and_then(|s| s.pension);
            let has_payment = pension.is_some() || !person.assistance.is_empty();
            if has_payment && self.rng.random_bool(rates.deceased_still_paid) {
                let count = person.assistance.len();
                let pick = self
                    .rng
                    .random_range(0..count + usize::from(pension.is_some()));
                if let Some(record) = person.assistance.get_mut(pick) {
                    record.status = AssistanceStatus::InPayment;
                    record.end = None;
                } else if let Some(social) = person.social.as_mut()
                    && let Some(p) = social.pension.as_mut()
                {
                    p.in_payment = true;
                    p.stopped = None;
                }
                person.planted.insert(AlertKind::DeceasedStillPaid);
            }
            return;
        }
        if !person.is_normal() {
            return;
        }
        let assisted = person.assistance.iter().any(|a| {
            matches!(a.programme, Programme::Dibao | Programme::ExtremelyPoor)
                && a.status == AssistanceStatus::InPayment
        });
        if assisted && self.rng.random_bool(rates.assistance_not_insured) {
            if self.rng.random_bool(0.5) {
                person.medical = None;
            } else if let Some(m) = person.medical.as_mut() {
                m.scheme = MedicalScheme::Resident;
                m.status = InsuranceStatus::Suspended;
                m.paused = Some(self.days_ago(30, 365).max(m.since));
            }
            person.planted.insert(AlertKind::AssistanceNotInsured);
        }
        if person.id_number.age_on(today) >= ELDERLY_AGE
            && self.rng.random_bool(rates.elderly_no_allowance)
        {
            let kept: Vec<Assistance> = person
                .assistance
                .iter()
                .filter(|a| a.programme != Programme::OldAgeAllowance)
                .copied()
                .collect();
            person.assistance = kept.into_boxed_slice();
            person.planted.insert(AlertKind::ElderlyNoAllowance);
        }
        let severe = person.disability.is_some_and(|d| d.grade <= 2);
        if severe && self.rng.random_bool(rates.severe_disability_no_nursing) {
            let has_living = person
                .assistance
                .iter()
                .any(|a| a.programme == Programme::DisabilityLiving);
            let mut kept = Vec::with_capacity(person.assistance.len());
            for record in person.assistance.iter() {
                if record.programme != Programme::SevereDisabilityNursing {
                    kept.push(*record);
                } else if !has_living {
                    // The grade stays visible through a living subsidy.
                    kept.push(Assistance {
                        programme: Programme::DisabilityLiving,
                        monthly_cents: 8_000,
                        ..*record
                    });
                }
            }
            person.assistance = kept.into_boxed_slice();
            person.planted.insert(AlertKind::SevereDisabilityNoNursing);
        }
        let pensioner = person
            .social
            .and_then(|s| s.pension)
            .is_some_and(|p| p.in_payment);
        if pensioner && self.rng.random_bool(rates.pension_cert_overdue) {
            let date = self.days_ago(400, 900);
            if let Some(p) = person.social.as_mut().and_then(|s| s.pension.as_mut()) {
                p.last_cert = date;
            }
            person.planted.insert(AlertKind::PensionCertOverdue);
        }
        let has_card = !matches!(person.card, CardValidity::NoCard);
        if has_card
            && person.id_number.age_on(today) >= 16
            && self.rng.random_bool(rates.id_card_expired)
        {
            let until = today
                .checked_sub_days(Days::new(self.rng.random_range(1..=1_000)))
                .unwrap_or(today);
            person.card = CardValidity::Until(until);
            person.planted.insert(AlertKind::IdCardExpired);
        }
    }

    /// Plants NAME_MISMATCH: one department with a record spells the name differently.
    pub(super) fn plant_name(
        &mut self,
        person: &mut Person,
        index: u32,
        variants: &mut Vec<(u32, NameSource, CompactName)>,
    ) {
        if !person.is_normal() || names::has_rare_character(person.name.as_str()) {
            return;
        }
        let mut holders = Vec::with_capacity(3);
        if person.medical.is_some() {
            holders.push(NameSource::Medical);
        }
        if person.social.is_some() {
            holders.push(NameSource::Social);
        }
        if !person.assistance.is_empty() {
            holders.push(NameSource::Civil);
        }
        if holders.is_empty() || !self.rng.random_bool(self.options.rates.name_mismatch) {
            return;
        }
        let source = holders[self.rng.random_range(0..holders.len())];
        let variant = names::misspelled(person.name.as_str());
        variants.push((index, source, CompactName::new(&variant)));
        person.planted.insert(AlertKind::NameMismatch);
    }
}
