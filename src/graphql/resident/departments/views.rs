//! What each department says of a resident, as GraphQL objects. What a caller sees of
//! them was decided when the object was made (`disclosure`); nothing here re-reads it.

use crate::graphql::scalars::Date;
use async_graphql::{Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::enums::*;
use crate::{
    adapters::Fresh,
    domain::{
        masking,
        views::{self, IdCardValidity},
    },
    graphql::resident::codes::Disclosure,
};

/// When and from where a department-backed answer came.
#[derive(SimpleObject, Clone, Copy)]
pub struct Freshness {
    /// Live, from the cache, or stale because the department failed just now.
    pub source: FreshnessSource,
    /// When the department gave this answer.
    pub as_of: DateTime<Utc>,
}

impl Freshness {
    pub fn of<T>(fresh: &Fresh<T>) -> Self {
        Self {
            source: fresh.source.into(),
            as_of: fresh.as_of,
        }
    }
}

/// Basic medical insurance (基本医疗保险) as the medical insurance platform reports it.
pub struct MedicalInsurance {
    pub view: views::MedicalInsuranceView,
    pub disclosure: Disclosure,
    pub identities_visible: bool,
    pub freshness: Freshness,
}

/// Basic medical insurance (基本医疗保险) as the medical insurance platform reports it.
#[Object]
impl MedicalInsurance {
    /// The person's enrolments, one per scheme.
    async fn enrolments(&self) -> Vec<MedicalEnrolment> {
        let status_only = self.disclosure == Disclosure::StatusOnly;
        self.view
            .enrolments
            .iter()
            .map(|e| MedicalEnrolment::from_view(e, status_only))
            .collect()
    }

    /// Medical-assistance identities (医疗救助身份), such as dibao recipient; null where
    /// the caller may not see them.
    async fn assistance_identities(&self) -> Option<Vec<MedicalAssistanceIdentity>> {
        self.identities_visible.then(|| {
            self.view
                .identities
                .iter()
                .map(|i| MedicalAssistanceIdentity {
                    kind: (&i.kind).into(),
                    from: i.from.into(),
                    until: i.until.map(Date),
                })
                .collect()
        })
    }

    /// How much of this object the caller sees.
    async fn disclosure(&self) -> Disclosure {
        self.disclosure
    }

    /// When and from where this answer came.
    async fn freshness(&self) -> Freshness {
        self.freshness
    }
}

/// One medical insurance enrolment.
#[derive(SimpleObject)]
pub struct MedicalEnrolment {
    /// The scheme (险种).
    pub scheme: MedicalScheme,
    /// The enrolment status.
    pub status: MedicalEnrolmentStatus,
    /// Insured since (参保日期).
    pub since: Date,
    /// The person's category; null where only the status is disclosed.
    pub person_type: Option<MedicalPersonType>,
    /// Suspended since (暂停日期); null where only the status is disclosed.
    pub suspended_since: Option<Date>,
    /// The 6-digit division where the person is insured; null where only the status is disclosed.
    pub insured_division: Option<String>,
    /// The personal account balance in yuan (个人账户余额); null where only the status is disclosed.
    pub account_balance: Option<f64>,
}

impl MedicalEnrolment {
    fn from_view(e: &views::MedicalEnrolment, status_only: bool) -> Self {
        let details = !status_only;
        Self {
            scheme: (&e.scheme).into(),
            status: (&e.status).into(),
            since: e.since.into(),
            person_type: details.then(|| (&e.person_type).into()),
            suspended_since: e.suspended_since.filter(|_| details).map(Date),
            insured_division: details.then(|| e.insured_division.clone()),
            account_balance: details.then(|| e.account_balance.yuan()),
        }
    }
}

/// A medical-assistance identity and its period.
#[derive(SimpleObject)]
pub struct MedicalAssistanceIdentity {
    /// The identity.
    pub kind: MedicalAssistanceKind,
    /// From.
    pub from: Date,
    /// Until; null while it lasts.
    pub until: Option<Date>,
}

/// Social insurance schemes (社会保险) as the social security platform reports them.
#[derive(SimpleObject)]
pub struct SocialInsurance {
    /// The schemes the person is or was in.
    pub schemes: Vec<SocialInsuranceScheme>,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// One social insurance scheme of a person.
#[derive(SimpleObject)]
pub struct SocialInsuranceScheme {
    /// The scheme.
    pub kind: SocialInsuranceKind,
    /// The contribution status.
    pub status: ContributionStatus,
    /// First month of contributions, `YYYY-MM`.
    pub since: String,
    /// Last month, `YYYY-MM`; null while paying.
    pub until: Option<String>,
}

impl SocialInsurance {
    pub fn from_view(
        view: &views::SocialInsuranceView,
        disclosure: Disclosure,
        freshness: Freshness,
    ) -> Self {
        Self {
            schemes: view
                .insurances
                .iter()
                .map(|i| SocialInsuranceScheme {
                    kind: (&i.kind).into(),
                    status: (&i.status).into(),
                    since: i.start.to_string(),
                    until: i.end.map(|m| m.to_string()),
                })
                .collect(),
            disclosure,
            freshness,
        }
    }
}

/// A pension in payment or stopped (养老金待遇), with its eligibility certification.
#[derive(SimpleObject)]
pub struct Pension {
    /// The scheme it is paid from; null where only the certification date is disclosed.
    pub scheme: Option<SocialInsuranceKind>,
    /// Whether it is paid; null where only the certification date is disclosed.
    pub status: Option<PensionStatus>,
    /// The monthly amount in yuan; null unless the caller may see amounts.
    pub monthly_amount: Option<f64>,
    /// First month of payment, `YYYY-MM`; null where only the certification date is disclosed.
    pub since: Option<String>,
    /// The last annual benefit-eligibility certification (待遇资格认证).
    pub last_certified_on: Option<Date>,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

impl Pension {
    pub fn from_view(
        pension: &views::Pension,
        disclosure: Disclosure,
        freshness: Freshness,
    ) -> Self {
        let full = disclosure == Disclosure::Full;
        Self {
            scheme: full.then(|| (&pension.scheme).into()),
            status: full.then(|| (&pension.status).into()),
            monthly_amount: full.then(|| pension.monthly.yuan()),
            since: full.then(|| pension.start.to_string()),
            last_certified_on: pension.last_certified.map(Date),
            disclosure,
            freshness,
        }
    }
}

/// Employment registration and training (就业登记与培训).
#[derive(SimpleObject)]
pub struct Employment {
    /// The registration status.
    pub status: EmploymentStatus,
    /// Vocational training courses; null where the caller sees the status only.
    pub trainings: Option<Vec<Training>>,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// A vocational training course (职业技能培训).
#[derive(SimpleObject)]
pub struct Training {
    /// The course.
    pub course: String,
    /// First month, `YYYY-MM`.
    pub start: String,
    /// Last month, `YYYY-MM`; null while ongoing.
    pub end: Option<String>,
    /// The result as recorded, e.g. 合格.
    pub result: String,
}

impl Employment {
    /// The view as `disclosure` allows: anything short of full is the status alone.
    pub fn from_view(
        view: &views::EmploymentView,
        disclosure: Disclosure,
        freshness: Freshness,
    ) -> Self {
        let disclosure = match disclosure {
            Disclosure::Full => Disclosure::Full,
            _ => Disclosure::StatusOnly,
        };
        Self {
            status: (&view.status).into(),
            trainings: (disclosure == Disclosure::Full).then(|| {
                view.trainings
                    .iter()
                    .map(|t| Training {
                        course: t.course.clone(),
                        start: t.start.to_string(),
                        end: t.end.map(|m| m.to_string()),
                        result: t.result.clone(),
                    })
                    .collect()
            }),
            disclosure,
            freshness,
        }
    }
}

/// Social assistance (社会救助) as civil affairs reports it.
#[derive(SimpleObject)]
pub struct Assistance {
    /// The programmes the person is or was in.
    pub programmes: Vec<AssistanceProgramme>,
    /// The name as civil affairs holds it: a rare character its GBK system cannot
    /// store shows replaced; null when it matches the register.
    pub name_as_recorded: Option<String>,
    /// How much of this object the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// One assistance programme of a person.
#[derive(SimpleObject)]
pub struct AssistanceProgramme {
    /// The programme.
    pub programme: AssistanceProgrammeKind,
    /// Whether it is paid.
    pub status: AssistanceStatus,
    /// First month, `YYYY-MM`.
    pub since: String,
    /// Last month, `YYYY-MM`; null while it lasts or where only the status is disclosed.
    pub until: Option<String>,
    /// The monthly amount in yuan (the one-off sum for temporary assistance); null
    /// unless the caller may see amounts.
    pub monthly_amount: Option<f64>,
    /// People in the assisted household; null where only the status is disclosed.
    pub household_size: Option<i32>,
    /// The disability the programme concerns; null where not relevant or only the status is disclosed.
    pub disability: Option<Disability>,
}

/// A disability as the subsidy programmes record it.
#[derive(SimpleObject)]
pub struct Disability {
    /// The category (GB/T 26341).
    pub category: DisabilityCategory,
    /// The grade, 1 (most severe) to 4.
    pub grade: i32,
}

impl Assistance {
    pub fn from_records(
        records: &[views::AssistanceRecord],
        registered_name: &str,
        disclosure: Disclosure,
        amounts: bool,
        freshness: Freshness,
    ) -> Self {
        let details = disclosure != Disclosure::StatusOnly;
        Self {
            programmes: records
                .iter()
                .map(|r| AssistanceProgramme {
                    programme: (&r.programme).into(),
                    status: (&r.status).into(),
                    since: r.start.to_string(),
                    until: r.end.filter(|_| details).map(|m| m.to_string()),
                    monthly_amount: amounts.then(|| r.amount.yuan()),
                    household_size: r.household_size.filter(|_| details).map(|n| n as i32),
                    disability: r
                        .disability
                        .as_ref()
                        .filter(|_| details)
                        .map(|d| Disability {
                            category: (&d.category).into(),
                            grade: i32::from(d.grade),
                        }),
                })
                .collect(),
            name_as_recorded: records
                .first()
                .map(|r| r.name.clone())
                .filter(|n| n != registered_name),
            disclosure,
            freshness,
        }
    }
}

/// Household registration (户籍) as public security reports it.
#[derive(SimpleObject)]
pub struct HouseholdRegistration {
    /// The registration status.
    pub status: RegistrationState,
    /// The registered address (户籍地址); masked down to the village, or null, where
    /// the caller may not see it in full.
    pub registered_address: Option<String>,
    /// The resident ID card (居民身份证).
    pub id_card: Option<IdCard>,
    /// Date of death (死亡日期), for a cancelled registration.
    pub death_date: Option<Date>,
    /// Date of moving out (迁出日期).
    pub moved_out_on: Option<Date>,
    /// How much of the address and ID card the caller sees.
    pub disclosure: Disclosure,
    /// When and from where this answer came.
    pub freshness: Freshness,
}

/// A resident ID card's validity.
#[derive(SimpleObject)]
pub struct IdCard {
    /// Whether a card was issued and whether it is valid without end (长期).
    pub validity: IdCardValidityKind,
    /// Valid until (有效期至); null for no card, a long-term card, or where masked.
    pub valid_until: Option<Date>,
    /// Whether the card has expired today (an errand the village police officer can run).
    pub expired: bool,
}

/// The kind of ID card validity.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IdCardValidityKind {
    /// 未办理: no card issued (children).
    NoCard,
    /// 有效期至: valid until a date.
    UntilDate,
    /// 长期: valid without end.
    LongTerm,
}

impl HouseholdRegistration {
    pub fn from_view(
        view: &views::RegistrationView,
        disclosure: Disclosure,
        today: NaiveDate,
        freshness: Freshness,
    ) -> Self {
        let address = match disclosure {
            Disclosure::Full => Some(view.address.clone()),
            Disclosure::Masked => Some(masking::address(&view.address)),
            _ => None,
        };
        let id_card = (disclosure != Disclosure::Withheld).then(|| match view.id_card {
            IdCardValidity::NoCard => IdCard {
                validity: IdCardValidityKind::NoCard,
                valid_until: None,
                expired: false,
            },
            IdCardValidity::LongTerm => IdCard {
                validity: IdCardValidityKind::LongTerm,
                valid_until: None,
                expired: false,
            },
            IdCardValidity::Until(date) => IdCard {
                validity: IdCardValidityKind::UntilDate,
                valid_until: (disclosure == Disclosure::Full).then_some(Date(date)),
                expired: date < today,
            },
        });
        Self {
            status: (&view.status).into(),
            registered_address: address,
            id_card,
            death_date: view.death_date.map(Date),
            moved_out_on: view.moved_out_date.map(Date),
            disclosure,
            freshness,
        }
    }
}
