use chrono::NaiveDate;

use super::*;
use crate::domain::{
    Ethnicity, Relationship, Sex,
    views::{
        Disability, DisabilityCategory, MedicalEnrolment, MedicalPersonType, Money, Pension,
        SocialInsuranceKind, YearMonth,
    },
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const TODAY: (i32, u32, u32) = (2026, 11, 28);

fn rules() -> RuleSettings {
    RuleSettings {
        today: day(TODAY.0, TODAY.1, TODAY.2),
        elderly_age: 80,
    }
}

fn id(number: &str) -> IdNumber {
    IdNumber::parse(number).unwrap()
}

// Born 1956-03-02: aged 70 on the test day.
const YOUNGER: &str = "220122195603020017";

fn registration(number: &str, name: &str) -> RegistrationView {
    let id_number = id(number);
    RegistrationView {
        id_number,
        name: name.into(),
        sex: Sex::Male,
        ethnicity: Ethnicity::Han,
        birth_date: id_number.birth_date(),
        household_number: "2201221012010001".into(),
        relationship: Relationship::Head,
        address: "吉林省长春市农安县".into(),
        village_code: "220122101201".into(),
        status: RegistrationStatus::Normal,
        death_date: None,
        moved_out_date: None,
        id_card: IdCardValidity::LongTerm,
        phone: None,
    }
}

fn record(number: &str, name: &str, programme: Programme) -> AssistanceRecord {
    AssistanceRecord {
        id_number: id(number),
        name: name.into(),
        name_lossy: false,
        village_code: "220122101201".into(),
        programme,
        status: AssistanceStatus::InPayment,
        amount: Money::from_fen(50_000),
        start: YearMonth::new(2020, 1).unwrap(),
        end: None,
        household_size: None,
        disability: None,
    }
}

fn medical(number: &str, name: &str, status: EnrolmentStatus) -> MedicalInsuranceView {
    let id_number = id(number);
    MedicalInsuranceView {
        person_number: "P1".into(),
        id_number,
        name: name.into(),
        sex: Sex::Male,
        ethnicity: Ethnicity::Han,
        birth_date: id_number.birth_date(),
        enrolments: vec![MedicalEnrolment {
            scheme: MedicalScheme::ResidentBasic,
            person_type: MedicalPersonType::Resident,
            status,
            since: day(2015, 1, 1),
            suspended_since: None,
            insured_division: "220122".into(),
            account_balance: Money::default(),
        }],
        identities: Vec::new(),
    }
}

fn social(
    number: &str,
    name: &str,
    certified: NaiveDate,
    status: PensionStatus,
) -> SocialInsuranceView {
    let id_number = id(number);
    SocialInsuranceView {
        person_number: "S1".into(),
        id_number,
        name: name.into(),
        sex: Sex::Male,
        birth_date: id_number.birth_date(),
        insurances: Vec::new(),
        pension: Some(Pension {
            scheme: SocialInsuranceKind::ResidentPension,
            monthly: Money::from_fen(20_000),
            start: YearMonth::new(2016, 4).unwrap(),
            status,
            stopped: None,
            last_certified: Some(certified),
        }),
    }
}

fn kinds(found: &[Finding]) -> Vec<AlertKind> {
    found.iter().map(|f| f.kind).collect()
}

#[test]
fn a_resident_whose_departments_agree_fails_no_check() {
    let reg = registration(YOUNGER, "张伟");
    let med = medical(YOUNGER, "张伟", EnrolmentStatus::Insured);
    let soc = social(YOUNGER, "张伟", day(2026, 5, 1), PensionStatus::InPayment);
    let views = Views {
        registration: Some(&reg),
        medical: Some(&med),
        social: Some(&soc),
        assistance: &[],
        ..Views::default()
    };
    assert!(evaluate(&id(YOUNGER), &views, &rules()).is_empty());
}

#[test]
fn the_dead_still_paid_are_found_and_nothing_else_is_checked_for_them() {
    let mut reg = registration(YOUNGER, "张伟");
    reg.status = RegistrationStatus::Deceased;
    reg.death_date = Some(day(2025, 6, 1));
    reg.id_card = IdCardValidity::Until(day(2020, 1, 1));
    let soc = social(YOUNGER, "张伟", day(2020, 1, 1), PensionStatus::InPayment);
    let views = Views {
        registration: Some(&reg),
        medical: None,
        social: Some(&soc),
        assistance: &[],
        ..Views::default()
    };
    let found = evaluate(&id(YOUNGER), &views, &rules());
    assert_eq!(kinds(&found), vec![AlertKind::DeceasedStillPaid]);
    assert_eq!(
        found[0].departments(),
        vec!["public_security", "social_security"]
    );
    let stopped = social(YOUNGER, "张伟", day(2020, 1, 1), PensionStatus::Stopped);
    let views = Views {
        social: Some(&stopped),
        ..views
    };
    assert!(evaluate(&id(YOUNGER), &views, &rules()).is_empty());
}

#[test]
fn moved_out_residents_are_not_checked() {
    let mut reg = registration(YOUNGER, "张伟");
    reg.status = RegistrationStatus::MovedOut;
    reg.id_card = IdCardValidity::Until(day(2020, 1, 1));
    let views = Views {
        registration: Some(&reg),
        medical: None,
        social: None,
        assistance: &[],
        ..Views::default()
    };
    assert!(evaluate(&id(YOUNGER), &views, &rules()).is_empty());
}

#[test]
fn dibao_without_basic_insurance_in_normal_status_is_found() {
    let reg = registration(YOUNGER, "张伟");
    let support = [record(YOUNGER, "张伟", Programme::Dibao)];
    let suspended = medical(YOUNGER, "张伟", EnrolmentStatus::Suspended);
    for med in [None, Some(&suspended)] {
        let views = Views {
            registration: Some(&reg),
            medical: med,
            social: None,
            assistance: &support,
            ..Views::default()
        };
        assert_eq!(
            kinds(&evaluate(&id(YOUNGER), &views, &rules())),
            vec![AlertKind::AssistanceNotInsured]
        );
    }
}

#[test]
fn the_elderly_are_owed_an_allowance_from_the_configured_age() {
    let number = IdNumber::from_parts("220122", day(1946, 1, 1), 1).unwrap();
    let reg = registration(number.as_str(), "李桂兰");
    let views = Views {
        registration: Some(&reg),
        medical: None,
        social: None,
        assistance: &[],
        ..Views::default()
    };
    assert_eq!(
        kinds(&evaluate(&number, &views, &rules())),
        vec![AlertKind::ElderlyNoAllowance]
    );
    let allowance = [record(
        number.as_str(),
        "李桂兰",
        Programme::OldAgeAllowance,
    )];
    let views = Views {
        assistance: &allowance,
        ..views
    };
    assert!(evaluate(&number, &views, &rules()).is_empty());
    let higher = RuleSettings {
        elderly_age: 90,
        ..rules()
    };
    let views = Views {
        assistance: &[],
        ..views
    };
    assert!(evaluate(&number, &views, &higher).is_empty());
}

#[test]
fn severe_disability_without_nursing_subsidy_is_found() {
    let reg = registration(YOUNGER, "张伟");
    let mut living = record(YOUNGER, "张伟", Programme::DisabilityLiving);
    living.disability = Some(Disability {
        category: DisabilityCategory::Physical,
        grade: 2,
    });
    let only_living = [living.clone()];
    let views = Views {
        registration: Some(&reg),
        medical: None,
        social: None,
        assistance: &only_living,
        ..Views::default()
    };
    assert_eq!(
        kinds(&evaluate(&id(YOUNGER), &views, &rules())),
        vec![AlertKind::SevereDisabilityNoNursing]
    );
    let both = [
        living,
        record(YOUNGER, "张伟", Programme::SevereDisabilityNursing),
    ];
    let views = Views {
        assistance: &both,
        ..views
    };
    assert!(evaluate(&id(YOUNGER), &views, &rules()).is_empty());
}

#[test]
fn certification_over_twelve_months_old_is_overdue() {
    let reg = registration(YOUNGER, "张伟");
    let old = social(YOUNGER, "张伟", day(2025, 11, 27), PensionStatus::InPayment);
    let recent = social(YOUNGER, "张伟", day(2025, 11, 28), PensionStatus::InPayment);
    let views = |s| Views {
        registration: Some(&reg),
        medical: None,
        social: Some(s),
        assistance: &[],
        ..Views::default()
    };
    assert_eq!(
        kinds(&evaluate(&id(YOUNGER), &views(&old), &rules())),
        vec![AlertKind::PensionCertOverdue]
    );
    assert!(evaluate(&id(YOUNGER), &views(&recent), &rules()).is_empty());
}

#[test]
fn an_expired_card_is_found_and_long_term_cards_never_expire() {
    let mut reg = registration(YOUNGER, "张伟");
    reg.id_card = IdCardValidity::Until(day(2026, 11, 27));
    let views = Views {
        registration: Some(&reg),
        medical: None,
        social: None,
        assistance: &[],
        ..Views::default()
    };
    assert_eq!(
        kinds(&evaluate(&id(YOUNGER), &views, &rules())),
        vec![AlertKind::IdCardExpired]
    );
    let mut valid = reg.clone();
    valid.id_card = IdCardValidity::Until(day(2026, 11, 28));
    let views = Views {
        registration: Some(&valid),
        ..views
    };
    assert!(evaluate(&id(YOUNGER), &views, &rules()).is_empty());
}

#[test]
fn a_homophone_is_a_mismatch_and_a_lost_rare_character_is_an_encoding_loss() {
    let reg = registration(YOUNGER, "王㛃");
    let support = [record(YOUNGER, "王洁", Programme::Temporary)];
    let med = medical(YOUNGER, "王㛃", EnrolmentStatus::Insured);
    let views = Views {
        registration: Some(&reg),
        medical: Some(&med),
        social: None,
        assistance: &support,
        ..Views::default()
    };
    let found = evaluate(&id(YOUNGER), &views, &rules());
    assert_eq!(kinds(&found), vec![AlertKind::NameEncodingLoss]);
    assert_eq!(
        found[0].departments(),
        vec!["public_security", "civil_affairs"]
    );

    let plain = registration(YOUNGER, "王杰");
    let homophone = medical(YOUNGER, "王洁", EnrolmentStatus::Insured);
    let views = Views {
        registration: Some(&plain),
        medical: Some(&homophone),
        social: None,
        assistance: &[],
        ..Views::default()
    };
    let found = evaluate(&id(YOUNGER), &views, &rules());
    assert_eq!(kinds(&found), vec![AlertKind::NameMismatch]);
    assert_eq!(
        found[0].departments(),
        vec!["public_security", "medical_insurance"]
    );
}

#[test]
fn gbk_losses_are_told_from_other_differences() {
    assert!(only_gbk_losses("王𠈌", "王?"));
    assert!(!only_gbk_losses("王洁", "王杰"));
    assert!(!only_gbk_losses("王㛃", "王洁明"));
}

#[test]
fn codes_round_trip() {
    for kind in AlertKind::ALL {
        assert_eq!(AlertKind::parse(kind.code()), Some(kind));
    }
}
