//! The loaders ask through the capability traits only: a stand-in source put into a
//! built `Departments` is what the resident fields' loaders answer, batched as the
//! loaders promise, while the other departments stay as the settings built them.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};

use super::*;
use crate::{
    adapters::{
        AssistanceLookup, DepartmentsSettings, ErrorKind, InsurancesResult, MedicalInsuranceLookup,
        MedicalResult, SocialInsuranceLookup,
    },
    domain::{
        Department, Sex,
        views::{AssistanceStatus, Money, Programme, YearMonth},
    },
};

fn person(sequence: u16) -> IdNumber {
    let birth = NaiveDate::from_ymd_opt(1956, 3, 2).unwrap();
    IdNumber::from_parts("220122", birth, sequence).unwrap()
}

fn live<T>(value: T) -> Fresh<T> {
    Fresh {
        value,
        source: Source::Live,
        as_of: Utc::now(),
    }
}

/// Departments as unconfigured settings build them (every real call fails as not
/// configured), for one field to be replaced by a stand-in.
fn unconfigured() -> Departments {
    Departments::new(&DepartmentsSettings::default()).unwrap()
}

fn loaders(departments: Departments) -> DepartmentLoaders {
    DepartmentLoaders::new(Arc::new(departments), Duration::from_secs(5), "loader-test")
}

fn outcomes(loaders: &DepartmentLoaders) -> Vec<(&'static str, String)> {
    let summary = loaders.outcomes.summary();
    summary.into_iter().map(|(d, o, _)| (d, o)).collect()
}

/// Social insurance that knows one person, times out for another, and has no record of
/// anyone else; it notes the size of each batch it is asked.
struct FixedSocial {
    known: SocialInsuranceView,
    failing: IdNumber,
    batches: Mutex<Vec<usize>>,
}

#[async_trait]
impl SocialInsuranceLookup for FixedSocial {
    async fn insurances(&self, id_number: &IdNumber, _ctx: &CallContext) -> InsurancesResult {
        if *id_number == self.known.id_number {
            Ok(live(Some(self.known.clone())))
        } else if *id_number == self.failing {
            Err(AdapterError::Timeout {
                department: Department::SocialSecurity,
            })
        } else {
            Ok(live(None))
        }
    }

    async fn insurances_batch(
        &self,
        id_numbers: &[IdNumber],
        ctx: &CallContext,
    ) -> HashMap<IdNumber, InsurancesResult> {
        self.batches.lock().unwrap().push(id_numbers.len());
        let mut answers = HashMap::new();
        for id in id_numbers {
            answers.insert(*id, self.insurances(id, ctx).await);
        }
        answers
    }
}

#[tokio::test]
async fn a_stand_in_social_insurance_source_is_what_the_loader_answers() {
    let (known, failing, nobody) = (person(11), person(13), person(15));
    let view = SocialInsuranceView {
        person_number: "00042".into(),
        id_number: known,
        name: "王建国".into(),
        sex: Sex::Male,
        birth_date: known.birth_date(),
        insurances: Vec::new(),
        pension: None,
    };
    let stand_in = Arc::new(FixedSocial {
        known: view.clone(),
        failing,
        batches: Mutex::new(Vec::new()),
    });
    let mut departments = unconfigured();
    departments.social = stand_in.clone();
    let loaders = loaders(departments);

    let answers = loaders
        .social
        .load_many([known, failing, nobody])
        .await
        .unwrap();

    assert_eq!(answers[&known].as_ref().unwrap().value, Some(view));
    assert_eq!(
        answers[&failing].as_ref().unwrap_err().kind(),
        ErrorKind::Timeout
    );
    assert_eq!(answers[&nobody].as_ref().unwrap().value, None);
    // A page is one batch call, not one call per person.
    assert_eq!(*stand_in.batches.lock().unwrap(), vec![3]);
    assert_eq!(
        outcomes(&loaders),
        vec![("social_security", "timeout".to_owned())]
    );
    // The departments left alone still answer as the settings built them.
    let medical = loaders.medical.load_one(known).await.unwrap().unwrap();
    assert_eq!(medical.unwrap_err().kind(), ErrorKind::NotConfigured);
}

/// Medical insurance that answers "no such person" for everyone, counting the people it
/// is asked about; it has no many-people call of its own.
#[derive(Default)]
struct CountingMedical {
    asked: Mutex<Vec<IdNumber>>,
}

#[async_trait]
impl MedicalInsuranceLookup for CountingMedical {
    async fn person(&self, id_number: &IdNumber, _ctx: &CallContext) -> MedicalResult {
        self.asked.lock().unwrap().push(*id_number);
        Ok(live(None))
    }
}

#[tokio::test]
async fn a_source_without_a_many_people_call_is_asked_once_per_person() {
    let stand_in = Arc::new(CountingMedical::default());
    let mut departments = unconfigured();
    departments.medical = stand_in.clone();
    let loaders = loaders(departments);
    let people: Vec<IdNumber> = (1..=20).map(|n| person(n * 2 + 1)).collect();

    let answers = loaders.medical.load_many(people.clone()).await.unwrap();

    assert_eq!(answers.len(), people.len());
    assert!(
        answers
            .values()
            .all(|a| a.as_ref().is_ok_and(|f| f.value.is_none()))
    );
    let mut asked = stand_in.asked.lock().unwrap().clone();
    asked.sort_unstable();
    let mut expected = people;
    expected.sort_unstable();
    assert_eq!(asked, expected);
    assert_eq!(
        outcomes(&loaders),
        vec![("medical_insurance", "ok".to_owned())]
    );
}

/// Assistance that records each call, answering one record for `receiving` from a
/// village walk and from a lookup by person alike.
struct RecordingAssistance {
    receiving: IdNumber,
    walks: Mutex<Vec<String>>,
    lookups: Mutex<Vec<IdNumber>>,
}

impl RecordingAssistance {
    fn record(&self, village: &str) -> AssistanceRecord {
        AssistanceRecord {
            id_number: self.receiving,
            name: "李秀兰".into(),
            name_lossy: false,
            village_code: village.to_owned(),
            programme: Programme::Dibao,
            status: AssistanceStatus::InPayment,
            amount: Money::from_fen(45_000),
            start: YearMonth::new(2021, 1).unwrap(),
            end: None,
            household_size: Some(2),
            disability: None,
        }
    }
}

#[async_trait]
impl AssistanceLookup for RecordingAssistance {
    async fn assistance_by_id(
        &self,
        id_number: &IdNumber,
        _ctx: &CallContext,
    ) -> Result<Fresh<Vec<AssistanceRecord>>, AdapterError> {
        self.lookups.lock().unwrap().push(*id_number);
        let records = if *id_number == self.receiving {
            vec![self.record("220122101201")]
        } else {
            Vec::new()
        };
        Ok(live(records))
    }

    async fn assistance_by_village(
        &self,
        village: &RegionCode,
        _ctx: &CallContext,
    ) -> Result<Fresh<Vec<AssistanceRecord>>, AdapterError> {
        self.walks.lock().unwrap().push(village.as_str().to_owned());
        Ok(live(vec![self.record(village.as_str())]))
    }
}

#[tokio::test]
async fn residents_of_a_full_village_are_answered_from_one_walk_the_rest_one_by_one() {
    let (full, sparse) = ("220122101201", "220122101202");
    let walked: Vec<IdNumber> = (0..VILLAGE_WALK_FROM as u16)
        .map(|n| person(101 + n * 2))
        .collect();
    let lone = person(301);
    let stand_in = Arc::new(RecordingAssistance {
        receiving: walked[3],
        walks: Mutex::new(Vec::new()),
        lookups: Mutex::new(Vec::new()),
    });
    let mut departments = unconfigured();
    departments.civil = stand_in.clone();
    let loaders = loaders(departments);
    let key = |id_number: IdNumber, village: &str| CivilKey {
        id_number,
        village: village.to_owned(),
    };
    let mut keys: Vec<CivilKey> = walked.iter().map(|id| key(*id, full)).collect();
    keys.push(key(lone, sparse));

    let answers = loaders.civil.load_many(keys).await.unwrap();

    assert_eq!(*stand_in.walks.lock().unwrap(), vec![full.to_owned()]);
    assert_eq!(*stand_in.lookups.lock().unwrap(), vec![lone]);
    for id in &walked {
        let records = &answers[&key(*id, full)].as_ref().unwrap().value;
        // Each resident gets only their own records out of the village's.
        assert_eq!(records.len(), usize::from(*id == walked[3]), "{id}");
    }
    assert!(
        answers[&key(lone, sparse)]
            .as_ref()
            .unwrap()
            .value
            .is_empty()
    );
}
