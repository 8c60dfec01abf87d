//! Per-request loaders, one per department: a page of residents costs one batch call
//! to social security, one village walk of civil affairs per village with several
//! residents, and a bounded fan-out to medical insurance and public security. Each
//! person's answer is its own `Result`, so one failure does not fail a page.

use std::{
    collections::{BTreeMap, HashMap},
    convert::Infallible,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use futures_util::{StreamExt, stream};

use crate::{
    adapters::{
        AdapterError, CallContext, Departments, Fresh, Source,
        declared::{DeclaredAdapter, DeclaredSystems, DeclaredView, Routes},
    },
    domain::{
        Department, IdNumber, RegionCode,
        views::{
            AssistanceRecord, EmploymentView, FamilyDoctorView, MedicalInsuranceView,
            PovertyMonitoringView, RegistrationView, SocialInsuranceView, VeteranView,
        },
    },
};

/// A department's answer for one person.
pub type Answer<T> = Result<Fresh<T>, AdapterError>;

// Villages with at least this many residents on a page are asked for as a whole.
const VILLAGE_WALK_FROM: usize = 8;
const FAN_OUT: usize = 16;

/// How each department fared in one request, for the response's `extensions`.
#[derive(Default)]
pub struct DepartmentOutcomes {
    outcomes: Mutex<BTreeMap<&'static str, (String, Duration)>>,
}

impl DepartmentOutcomes {
    fn note(
        &self,
        department: &'static str,
        answers: impl IntoIterator<Item = Option<Result<Source, ErrorOutcome>>>,
        elapsed: Duration,
    ) {
        let mut worst: Option<String> = None;
        for answer in answers.into_iter().flatten() {
            let outcome = match answer {
                Ok(Source::Stale) => "served_stale".to_owned(),
                Ok(_) => "ok".to_owned(),
                Err(err) => err.0,
            };
            if worst.as_deref().is_none_or(|w| rank(&outcome) > rank(w)) {
                worst = Some(outcome);
            }
        }
        let outcome = worst.unwrap_or_else(|| "ok".to_owned());
        let mut map = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map
            .entry(department)
            .or_insert_with(|| (outcome.clone(), Duration::ZERO));
        if rank(&outcome) > rank(&entry.0) {
            entry.0 = outcome;
        }
        entry.1 = entry.1.max(elapsed);
    }

    /// `(department, outcome, milliseconds)` of every department the request touched.
    pub fn summary(&self) -> Vec<(&'static str, String, u64)> {
        let map = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        map.iter()
            .map(|(d, (o, t))| (*d, o.clone(), t.as_millis() as u64))
            .collect()
    }
}

struct ErrorOutcome(String);

fn error_outcome(err: &AdapterError) -> ErrorOutcome {
    ErrorOutcome(format!("{:?}", err.kind()).to_ascii_lowercase())
}

fn rank(outcome: &str) -> u8 {
    match outcome {
        "ok" => 0,
        "served_stale" => 1,
        _ => 2,
    }
}

fn observe<T>(answer: &Answer<T>) -> Option<Result<Source, ErrorOutcome>> {
    Some(match answer {
        Ok(fresh) => Ok(fresh.source),
        Err(err) => Err(error_outcome(err)),
    })
}

/// Shared by the loaders of one request.
#[derive(Clone)]
pub struct Upstreams {
    departments: Arc<Departments>,
    ctx: Arc<CallContext>,
    outcomes: Arc<DepartmentOutcomes>,
}

impl Upstreams {
    /// Asks a department about each person, at most `FAN_OUT` at a time, for departments
    /// without a batch call; notes how the department fared.
    async fn one_by_one<T, F, Fut>(
        &self,
        department: &'static str,
        keys: &[IdNumber],
        ask: F,
    ) -> HashMap<IdNumber, Answer<T>>
    where
        F: Fn(IdNumber) -> Fut,
        Fut: std::future::Future<Output = Answer<T>>,
    {
        let started = Instant::now();
        let answers: HashMap<IdNumber, Answer<T>> = stream::iter(keys.iter().copied())
            .map(|id| {
                let answer = ask(id);
                async move { (id, answer.await) }
            })
            .buffer_unordered(FAN_OUT)
            .collect()
            .await;
        self.outcomes
            .note(department, answers.values().map(observe), started.elapsed());
        answers
    }
}

/// The department loaders of one request.
pub struct DepartmentLoaders {
    pub medical: DataLoader<MedicalLoader, HashMapCache>,
    pub social: DataLoader<SocialLoader, HashMapCache>,
    pub employment: DataLoader<EmploymentLoader, HashMapCache>,
    pub civil: DataLoader<CivilLoader, HashMapCache>,
    pub police: DataLoader<PoliceLoader, HashMapCache>,
    pub veterans: DataLoader<DeclaredLoader<VeteranView>, HashMapCache>,
    pub family_doctor: DataLoader<DeclaredLoader<FamilyDoctorView>, HashMapCache>,
    pub poverty: DataLoader<DeclaredLoader<PovertyMonitoringView>, HashMapCache>,
    pub outcomes: Arc<DepartmentOutcomes>,
}

impl DepartmentLoaders {
    pub fn new(departments: Arc<Departments>, deadline: Duration, request_id: &str) -> Self {
        let outcomes = Arc::new(DepartmentOutcomes::default());
        let upstreams = Upstreams {
            departments,
            ctx: Arc::new(CallContext::with_budget(deadline, request_id)),
            outcomes: outcomes.clone(),
        };
        Self {
            medical: batched(MedicalLoader(upstreams.clone())),
            social: batched(SocialLoader(upstreams.clone())),
            employment: batched(EmploymentLoader(upstreams.clone())),
            civil: batched(CivilLoader(upstreams.clone())),
            police: batched(PoliceLoader(upstreams.clone())),
            veterans: batched(DeclaredLoader::new(
                upstreams.clone(),
                Department::VeteransAffairs,
                |d| &d.veterans,
            )),
            family_doctor: batched(DeclaredLoader::new(
                upstreams.clone(),
                Department::Health,
                |d| &d.family_doctor,
            )),
            poverty: batched(DeclaredLoader::new(
                upstreams,
                Department::Agriculture,
                |d| &d.poverty,
            )),
            outcomes,
        }
    }
}

// Loaders cache within their request only (a page prefetched in one batch is then read
// from it), never across requests or callers. No delay: the loader's task runs only once
// the resolvers of a resident have all been polled (and asked), and a page is prefetched.
fn batched<L: Send + Sync + 'static>(loader: L) -> DataLoader<L, HashMapCache> {
    DataLoader::with_cache(loader, crate::telemetry::spawn, HashMapCache::default())
        .delay(Duration::ZERO)
}

pub struct MedicalLoader(Upstreams);

impl Loader<IdNumber> for MedicalLoader {
    type Value = Answer<Option<MedicalInsuranceView>>;
    type Error = Infallible;

    async fn load(&self, keys: &[IdNumber]) -> Result<HashMap<IdNumber, Self::Value>, Infallible> {
        let started = Instant::now();
        let answers = self.0.departments.medical.people(keys, &self.0.ctx).await;
        self.0.outcomes.note(
            "medical_insurance",
            answers.values().map(observe),
            started.elapsed(),
        );
        Ok(answers)
    }
}

pub struct SocialLoader(Upstreams);

impl Loader<IdNumber> for SocialLoader {
    type Value = Answer<Option<SocialInsuranceView>>;
    type Error = Infallible;

    async fn load(&self, keys: &[IdNumber]) -> Result<HashMap<IdNumber, Self::Value>, Infallible> {
        let started = Instant::now();
        let answers = self
            .0
            .departments
            .social
            .insurances_batch(keys, &self.0.ctx)
            .await;
        self.0.outcomes.note(
            "social_security",
            answers.values().map(observe),
            started.elapsed(),
        );
        Ok(answers)
    }
}

pub struct EmploymentLoader(Upstreams);

impl Loader<IdNumber> for EmploymentLoader {
    type Value = Answer<Option<EmploymentView>>;
    type Error = Infallible;

    async fn load(&self, keys: &[IdNumber]) -> Result<HashMap<IdNumber, Self::Value>, Infallible> {
        let up = &self.0;
        Ok(up
            .one_by_one("social_security", keys, |id| async move {
                up.departments.employment.employment(&id, &up.ctx).await
            })
            .await)
    }
}

pub struct PoliceLoader(Upstreams);

impl Loader<IdNumber> for PoliceLoader {
    type Value = Answer<Option<RegistrationView>>;
    type Error = Infallible;

    async fn load(&self, keys: &[IdNumber]) -> Result<HashMap<IdNumber, Self::Value>, Infallible> {
        let up = &self.0;
        Ok(up
            .one_by_one("public_security", keys, |id| async move {
                up.departments.police.person(&id, &up.ctx).await
            })
            .await)
    }
}

/// A person to ask civil affairs about, with the village they are registered in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CivilKey {
    pub id_number: IdNumber,
    /// 12-digit code.
    pub village: String,
}

pub struct CivilLoader(Upstreams);

impl Loader<CivilKey> for CivilLoader {
    type Value = Answer<Vec<AssistanceRecord>>;
    type Error = Infallible;

    async fn load(&self, keys: &[CivilKey]) -> Result<HashMap<CivilKey, Self::Value>, Infallible> {
        let started = Instant::now();
        let up = &self.0;
        let mut by_village: BTreeMap<&str, Vec<&CivilKey>> = BTreeMap::new();
        for key in keys {
            by_village
                .entry(key.village.as_str())
                .or_default()
                .push(key);
        }
        let mut answers = HashMap::with_capacity(keys.len());
        let mut singles: Vec<CivilKey> = Vec::new();
        for (village, members) in by_village {
            let code = RegionCode::parse(village)
                .ok()
                .filter(|_| members.len() >= VILLAGE_WALK_FROM);
            let Some(code) = code else {
                singles.extend(members.into_iter().cloned());
                continue;
            };
            let walked = up
                .departments
                .civil
                .assistance_by_village(&code, &up.ctx)
                .await;
            for key in members {
                let answer = walked.as_ref().map_err(Clone::clone).map(|fresh| Fresh {
                    value: fresh
                        .value
                        .iter()
                        .filter(|r| r.id_number == key.id_number)
                        .cloned()
                        .collect(),
                    source: fresh.source,
                    as_of: fresh.as_of,
                });
                answers.insert(key.clone(), answer);
            }
        }
        let fetched: Vec<(CivilKey, Self::Value)> = stream::iter(singles)
            .map(|key: CivilKey| async move {
                let answer = up
                    .departments
                    .civil
                    .assistance_by_id(&key.id_number, &up.ctx)
                    .await;
                (key, answer)
            })
            .buffer_unordered(FAN_OUT)
            .collect()
            .await;
        answers.extend(fetched);
        self.0.outcomes.note(
            "civil_affairs",
            answers.values().map(observe),
            started.elapsed(),
        );
        Ok(answers)
    }
}

/// A person to ask a declared department about, with the village that decides which of
/// its systems answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeclaredKey {
    pub id_number: IdNumber,
    /// 12-digit code.
    pub village: String,
}

/// The systems of one view in `DeclaredSystems`.
type Pick<V> = fn(&DeclaredSystems) -> &Routes<V>;

/// Asks the systems that fill the view `V`: each person of the one serving their
/// village; a village with several residents on the page walked whole where the system
/// lists villages, the others in the system's batch (or one by one).
pub struct DeclaredLoader<V: DeclaredView> {
    upstreams: Upstreams,
    /// Named by a person's error where no system serves their village.
    department: Department,
    pick: Pick<V>,
}

impl<V: DeclaredView> DeclaredLoader<V> {
    fn new(upstreams: Upstreams, department: Department, pick: Pick<V>) -> Self {
        Self {
            upstreams,
            department,
            pick,
        }
    }
}

impl<V: DeclaredView> Loader<DeclaredKey> for DeclaredLoader<V> {
    type Value = Answer<Option<V>>;
    type Error = Infallible;

    async fn load(
        &self,
        keys: &[DeclaredKey],
    ) -> Result<HashMap<DeclaredKey, Self::Value>, Infallible> {
        let started = Instant::now();
        let up = &self.upstreams;
        let routes = (self.pick)(&up.departments.declared);
        let mut answers = HashMap::with_capacity(keys.len());
        let mut by_system: BTreeMap<&str, (&Arc<DeclaredAdapter<V>>, Vec<&DeclaredKey>)> =
            BTreeMap::new();
        for key in keys {
            match routes.for_village(&key.village) {
                Some(system) => by_system
                    .entry(system.definition().name.as_str())
                    .or_insert_with(|| (system, Vec::new()))
                    .1
                    .push(key),
                None => {
                    let department = self.department;
                    answers.insert(key.clone(), Err(AdapterError::NotConfigured { department }));
                }
            }
        }
        let mut departments = Vec::new();
        for (system, members) in by_system.into_values() {
            departments.push(system.definition().department.as_str());
            answers.extend(ask_system(system, &members, &up.ctx).await);
        }
        for department in departments {
            self.upstreams.outcomes.note(
                department,
                answers.values().map(observe),
                started.elapsed(),
            );
        }
        Ok(answers)
    }
}

async fn ask_system<V: DeclaredView>(
    system: &DeclaredAdapter<V>,
    keys: &[&DeclaredKey],
    ctx: &CallContext,
) -> HashMap<DeclaredKey, Answer<Option<V>>> {
    let mut answers = HashMap::with_capacity(keys.len());
    let mut by_village: BTreeMap<&str, Vec<&DeclaredKey>> = BTreeMap::new();
    for key in keys {
        by_village
            .entry(key.village.as_str())
            .or_default()
            .push(key);
    }
    let mut singles: Vec<IdNumber> = Vec::new();
    for (village, members) in by_village {
        let code = RegionCode::parse(village)
            .ok()
            .filter(|_| members.len() >= VILLAGE_WALK_FROM && system.lists_villages());
        let Some(code) = code else {
            singles.extend(members.iter().map(|k| k.id_number));
            continue;
        };
        let walked = system.village(&code, ctx).await;
        for key in members {
            let answer = walked.as_ref().map_err(Clone::clone).map(|fresh| Fresh {
                value: fresh
                    .value
                    .iter()
                    .find(|(id, _)| *id == key.id_number)
                    .map(|(_, view)| view.clone()),
                source: fresh.source,
                as_of: fresh.as_of,
            });
            answers.insert((*key).clone(), answer);
        }
    }
    let asked = system.people(&singles, ctx).await;
    for key in keys {
        if let Some(answer) = asked.get(&key.id_number) {
            answers.insert((*key).clone(), answer.clone());
        }
    }
    answers
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "loaders_tests.rs"]
mod tests;
