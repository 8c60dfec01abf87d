//! Department facts of a household, generated clear of every alert rule.

use chrono::{Days, Months, NaiveDate};
use rand::Rng;

use super::VillageGen;
use crate::domain::Relationship;
use crate::sim::population::model::*;
use crate::sim::truth::ELDERLY_AGE;

/// Yuan amounts in cents, uniformly between `from` and `to` yuan.
fn yuan(rng: &mut impl Rng, from: u32, to: u32) -> u32 {
    rng.random_range(from * 100..=to * 100)
}

fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(12 * years))
        .unwrap_or(date)
}

impl VillageGen<'_> {
    pub(super) fn household_facts(&mut self, people: &mut [Person]) {
        let size = people.iter().filter(|p| p.is_normal()).count().max(1) as u8;
        let head_normal = people.first().is_some_and(Person::is_normal);
        let alone = people.len() == 1;
        let grandparents = people
            .iter()
            .any(|p| p.relationship == Relationship::Grandchild);
        let dibao_share = match (self.community, alone) {
            (_, true) => 0.10,
            (true, false) => 0.03,
            (false, false) => 0.06,
        };
        let dibao = head_normal && self.rng.random_bool(dibao_share);
        let head_age = people
            .first()
            .map_or(0, |p| p.id_number.age_on(self.today()));
        let extremely_poor =
            head_normal && !dibao && alone && head_age >= 60 && self.rng.random_bool(0.06);
        let temporary = head_normal && self.rng.random_bool(0.012);
        let monitored = !self.community && self.rng.random_bool(0.02);
        for (n, person) in people.iter_mut().enumerate() {
            let head = n == 0;
            let mut records = Vec::new();
            let reference = match person.registration {
                Registration::Deceased(date) => date,
                _ => self.today(),
            };
            let birth = person.birth_date();
            let age = crate::domain::id_number::age_on(birth, reference);
            person.disability = self.disability(age);
            if head && dibao {
                let status = if self.rng.random_bool(0.97) {
                    AssistanceStatus::InPayment
                } else {
                    AssistanceStatus::Suspended
                };
                let monthly = u32::from(size) * yuan(&mut self.rng, 230, 420);
                records.push(self.record(Programme::Dibao, status, monthly, birth, size, None));
            }
            if head && extremely_poor {
                let monthly = yuan(&mut self.rng, 650, 900);
                records.push(self.record(
                    Programme::ExtremelyPoor,
                    AssistanceStatus::InPayment,
                    monthly,
                    birth,
                    1,
                    None,
                ));
            }
            if head && temporary {
                let amount = yuan(&mut self.rng, 500, 3_000);
                let mut record = self.record(
                    Programme::Temporary,
                    AssistanceStatus::Ended,
                    amount,
                    birth,
                    size,
                    None,
                );
                record.end = Some(record.start);
                records.push(record);
            }
            if let Some(d) = person.disability {
                let nursing = match d.grade {
                    1 => Some(10_000),
                    2 => Some(8_000),
                    _ => None,
                };
                if let Some(cents) = nursing {
                    let r = self.record(
                        Programme::SevereDisabilityNursing,
                        AssistanceStatus::InPayment,
                        cents,
                        birth,
                        size,
                        Some(d),
                    );
                    records.push(r);
                }
                if dibao {
                    let cents = if d.grade <= 2 { 8_000 } else { 6_000 };
                    let r = self.record(
                        Programme::DisabilityLiving,
                        AssistanceStatus::InPayment,
                        cents,
                        birth,
                        size,
                        Some(d),
                    );
                    records.push(r);
                }
            }
            if age >= ELDERLY_AGE {
                let cents = match age {
                    ..90 => 10_000,
                    90..100 => 20_000,
                    _ => 50_000,
                };
                let mut r = self.record(
                    Programme::OldAgeAllowance,
                    AssistanceStatus::InPayment,
                    cents,
                    birth,
                    1,
                    None,
                );
                r.start = YearMonth::of(add_years(birth, ELDERLY_AGE));
                records.push(r);
            }
            let child_share = if grandparents {
                0.10
            } else if dibao {
                0.3
            } else {
                0.0
            };
            if age < 18 && child_share > 0.0 && self.rng.random_bool(child_share) {
                let cents = yuan(&mut self.rng, 600, 1_200);
                records.push(self.record(
                    Programme::ChildInDifficulty,
                    AssistanceStatus::InPayment,
                    cents,
                    birth,
                    size,
                    None,
                ));
            }
            match person.registration {
                Registration::Deceased(date) => {
                    for r in &mut records {
                        r.status = AssistanceStatus::Ended;
                        r.end = Some(YearMonth::of(date).max(r.start));
                    }
                }
                Registration::MovedOut(_) => records.clear(),
                Registration::Normal => {}
            }
            person.assistance = records.into_boxed_slice();
            person.social = self.social(age, birth, person.registration);
            person.medical = self.medical(person, monitored);
        }
    }

    fn disability(&mut self, age: u32) -> Option<Disability> {
        let share = if age >= 60 { 0.07 } else { 0.025 };
        if !self.rng.random_bool(share) {
            return None;
        }
        let r: f64 = self.rng.random();
        let grade = if r < 0.15 {
            1
        } else if r < 0.40 {
            2
        } else if r < 0.70 {
            3
        } else {
            4
        };
        Some(Disability {
            category: self.rng.random_range(1..=7),
            grade,
        })
    }

    /// A record starting 1 to 120 months ago, never before the person's birth.
    fn record(
        &mut self,
        programme: Programme,
        status: AssistanceStatus,
        monthly_cents: u32,
        birth: NaiveDate,
        household_size: u8,
        disability: Option<Disability>,
    ) -> Assistance {
        let today = self.today();
        let months = self.rng.random_range(1..=120);
        let start = today
            .checked_sub_months(Months::new(months))
            .unwrap_or(today)
            .max(birth);
        Assistance {
            programme,
            status,
            monthly_cents,
            start: YearMonth::of(start),
            end: None,
            household_size,
            disability,
        }
    }

    fn social(
        &mut self,
        age: u32,
        birth: NaiveDate,
        registration: Registration,
    ) -> Option<SocialFacts> {
        if age < 16 {
            return None;
        }
        let community = self.community;
        let r: f64 = self.rng.random();
        let pensioner = age >= 60;
        let (enterprise, institution, resident) = match (pensioner, community) {
            (true, true) => (0.50, 0.04, 0.40),
            (true, false) => (0.08, 0.015, 0.855),
            (false, true) => (0.55, 0.04, 0.25),
            (false, false) => (0.10, 0.01, 0.75),
        };
        let student = !pensioner && age < 22 && self.rng.random_bool(0.8);
        let scheme = if student {
            return None;
        } else if r < enterprise {
            PensionScheme::Enterprise
        } else if r < enterprise + institution {
            PensionScheme::Institution
        } else if r < enterprise + institution + resident {
            PensionScheme::Resident
        } else {
            return None;
        };
        let start = YearMonth::of(add_years(birth, self.rng.random_range(18..=30).min(age)));
        let mut facts = SocialFacts {
            scheme,
            status: ContributionStatus::Paying,
            start,
            end: None,
            employee_extras: !pensioner && scheme == PensionScheme::Enterprise,
            pension: None,
            employment: Employment::NotRegistered,
            trainings: 0,
        };
        if pensioner {
            let retired = add_years(birth, 60);
            let monthly_cents = match scheme {
                PensionScheme::Enterprise => yuan(&mut self.rng, 2_600, 4_200),
                PensionScheme::Institution => yuan(&mut self.rng, 4_200, 6_800),
                PensionScheme::Resident => yuan(&mut self.rng, 118, 260),
            };
            facts.status = ContributionStatus::Terminated;
            facts.end = Some(YearMonth::of(retired));
            let mut pension = Pension {
                monthly_cents,
                start: YearMonth::of(retired),
                in_payment: true,
                stopped: None,
                last_cert: self.days_ago(1, 330),
            };
            if let Registration::Deceased(date) = registration {
                pension.in_payment = false;
                pension.stopped = Some(YearMonth::of(date));
                pension.last_cert = date.checked_sub_days(Days::new(30)).unwrap_or(date);
            }
            facts.pension = Some(pension);
            return Some(facts);
        }
        let r: f64 = self.rng.random();
        facts.status = if r < 0.92 {
            ContributionStatus::Paying
        } else if r < 0.98 {
            ContributionStatus::Suspended
        } else {
            facts.end = Some(YearMonth::of(self.days_ago(30, 900)).max(start));
            ContributionStatus::Terminated
        };
        if let Registration::Deceased(date) = registration {
            facts.status = ContributionStatus::Terminated;
            facts.end = Some(YearMonth::of(date).max(start));
        }
        let r: f64 = self.rng.random();
        facts.employment = match scheme {
            PensionScheme::Enterprise | PensionScheme::Institution => Employment::Employed,
            PensionScheme::Resident if r < 0.70 => Employment::Employed,
            PensionScheme::Resident if r < 0.78 => Employment::RegisteredUnemployed,
            PensionScheme::Resident if r < 0.82 => Employment::InTraining,
            PensionScheme::Resident => Employment::NotRegistered,
        };
        facts.trainings = match facts.employment {
            Employment::InTraining => self.rng.random_range(1..=3),
            _ if self.rng.random_bool(0.15) => 1,
            _ => 0,
        };
        Some(facts)
    }

    fn medical(&mut self, person: &Person, monitored: bool) -> Option<MedicalFacts> {
        let birth = person.birth_date();
        let employee = person.social.is_some_and(|s| {
            matches!(
                s.scheme,
                PensionScheme::Enterprise | PensionScheme::Institution
            ) && (s.status == ContributionStatus::Paying || s.pension.is_some())
        });
        let assisted = person.assistance.iter().any(|a| {
            matches!(a.programme, Programme::Dibao | Programme::ExtremelyPoor)
                && a.status == AssistanceStatus::InPayment
        });
        let year = 2007 + self.rng.random_range(0..6);
        let since = NaiveDate::from_ymd_opt(year, 1, 1)
            .unwrap_or(birth)
            .max(birth);
        let mut facts = MedicalFacts {
            scheme: if employee {
                MedicalScheme::Employee
            } else {
                MedicalScheme::Resident
            },
            status: InsuranceStatus::Insured,
            since,
            paused: None,
            retired: person.social.is_some_and(|s| s.pension.is_some()),
            monitored,
        };
        match person.registration {
            Registration::Deceased(date) | Registration::MovedOut(date) => {
                facts.status = InsuranceStatus::Terminated;
                facts.paused = Some(date.max(since));
            }
            Registration::Normal if assisted => {}
            Registration::Normal => {
                let r: f64 = self.rng.random();
                if r < 0.025 {
                    return None;
                }
                if r < 0.035 {
                    facts.status = InsuranceStatus::Suspended;
                    facts.paused = Some(self.days_ago(30, 365).max(since));
                }
            }
        }
        Some(facts)
    }
}
