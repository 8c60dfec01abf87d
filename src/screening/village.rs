//! One village through the departments: one register listing and one civil-affairs
//! village walk, social security in batches of 100, medical insurance one person at a
//! time, a village listing (or batch) of each declared department, each within its lane. Only the village's own people are held in memory.

use std::{collections::HashMap, time::Duration};

use futures_util::{StreamExt, future::try_join_all, stream};

use super::{
    coverage::{Answers, Coverage},
    fair::Lane,
    findings::NewAlert,
    rules::{self, Known, RuleSettings, Views},
};
use crate::{
    adapters::{
        AdapterError, CallContext, Departments,
        declared::{DeclaredView, Routes},
    },
    domain::{
        IdNumber, RegionCode,
        views::{
            AssistanceRecord, EmploymentView, MedicalInsuranceView, PovertyMonitoringView,
            RegistrationView, SocialInsuranceView,
        },
    },
    store::residents::IndexStatus,
};

/// The deadline of one department call of a run (retries included).
const CALL_BUDGET: Duration = Duration::from_secs(30);
/// Registrations asked for per register page.
const REGISTER_PAGE: u32 = 500;
/// People per social-security batch call.
const SOCIAL_BATCH: usize = 100;

/// One department's lane each.
pub struct Lanes {
    pub medical: Lane,
    pub social: Lane,
    pub civil: Lane,
    pub police: Lane,
    pub veterans: Lane,
    pub health: Lane,
    pub agriculture: Lane,
}

/// A resident of the village as the index lists them, with the number opened.
#[derive(Debug, Clone)]
pub struct Subject {
    pub resident_id: String,
    pub id_number: IdNumber,
    pub status: IndexStatus,
}

/// Checks every subject of `village` (12 digits) and returns their findings.
pub async fn screen(
    departments: &Departments,
    lanes: &Lanes,
    village: &str,
    subjects: &[Subject],
    rules: &RuleSettings,
    request_id: &str,
) -> Result<(Vec<NewAlert>, Coverage), AdapterError> {
    let ctx = || CallContext::with_budget(CALL_BUDGET, request_id).in_background();
    // Moved-out residents are owed nothing and checked for nothing: no calls for them.
    let live: Vec<&Subject> = subjects
        .iter()
        .filter(|s| s.status != IndexStatus::MovedOut)
        .collect();
    if live.is_empty() {
        return Ok((Vec::new(), Coverage::default()));
    }
    let code = RegionCode::from_statistical(village).map_err(|e| AdapterError::InvalidInput {
        department: crate::domain::Department::CivilAffairs,
        what: e.to_string(),
    })?;
    let register = register(departments, lanes, &code, &live, &ctx);
    let civil = async {
        let records = lanes
            .civil
            .run(live.len() as u64, || async {
                departments.civil.assistance_by_village(&code, &ctx()).await
            })
            .await?
            .value;
        let mut by_person: HashMap<IdNumber, Vec<AssistanceRecord>> = HashMap::new();
        for record in records {
            by_person.entry(record.id_number).or_default().push(record);
        }
        Ok::<_, AdapterError>(by_person)
    };
    let social = async {
        let ids: Vec<IdNumber> = live.iter().map(|s| s.id_number).collect();
        let batches = ids.chunks(SOCIAL_BATCH).map(|chunk| {
            lanes.social.run(chunk.len() as u64, move || async move {
                let mut answers = departments.social.insurances_batch(chunk, &ctx()).await;
                let mut views = HashMap::new();
                for id in chunk {
                    let answer = answers.remove(id).unwrap_or_else(|| {
                        Err(AdapterError::decode(
                            crate::domain::Department::SocialSecurity,
                            "a batch answer left an asked person out",
                        ))
                    })?;
                    if let Some(view) = answer.value {
                        views.insert(*id, view);
                    }
                }
                Ok::<_, AdapterError>(views)
            })
        });
        let parts = try_join_all(batches).await?;
        Ok::<HashMap<IdNumber, SocialInsuranceView>, AdapterError>(
            parts.into_iter().flatten().collect(),
        )
    };
    let medical = async {
        // Medical answers only matter for normal registrations.
        let normal: Vec<IdNumber> = live
            .iter()
            .filter(|s| s.status == IndexStatus::Normal)
            .map(|s| s.id_number)
            .collect();
        let answers: Vec<Result<(IdNumber, Option<MedicalInsuranceView>), AdapterError>> =
            stream::iter(normal)
                .map(|id| async move {
                    let fresh = lanes
                        .medical
                        .run(1, || async {
                            departments.medical.person(&id, &ctx()).await
                        })
                        .await?;
                    Ok((id, fresh.value))
                })
                .buffer_unordered(lanes.medical.allowed_in_flight())
                .collect()
                .await;
        let mut views = HashMap::new();
        for answer in answers {
            let (id, view) = answer?;
            if let Some(view) = view {
                views.insert(id, view);
            }
        }
        Ok::<_, AdapterError>(views)
    };
    let ids: Vec<IdNumber> = live.iter().map(|s| s.id_number).collect();
    let declared = &departments.declared;
    let veterans = declared_walk(&declared.veterans, &lanes.veterans, &code, &ids, &ctx);
    let doctors = declared_walk(&declared.family_doctor, &lanes.health, &code, &ids, &ctx);
    let poverty = declared_walk(&declared.poverty, &lanes.agriculture, &code, &ids, &ctx);
    let (register, civil, social, medical, veterans, doctors, poverty) =
        tokio::try_join!(register, civil, social, medical, veterans, doctors, poverty)?;
    let employment = employment(departments, lanes, poverty.as_ref(), rules, &ctx).await?;
    let mut alerts = Vec::new();
    let mut coverage = Coverage::default();
    for subject in live {
        let id = &subject.id_number;
        let views = Views {
            registration: register.get(id),
            medical: medical.get(id),
            social: social.get(id),
            assistance: civil.get(id).map(Vec::as_slice).unwrap_or_default(),
            employment: employment
                .get(id)
                .map_or(Known::Unknown, |e| Known::of(e.as_ref())),
            veteran: known(veterans.as_ref(), id),
            family_doctor: known(doctors.as_ref(), id),
            poverty: known(poverty.as_ref(), id),
        };
        if subject.status == IndexStatus::Normal {
            let answers = Answers {
                age: id.age_on(rules.today),
                registration: views.registration,
                medical: views.medical,
                social: views.social,
                assistance: views.assistance,
            };
            coverage.count(&answers, rules.today, rules.elderly_age);
        }
        for finding in rules::evaluate(id, &views, rules) {
            alerts.push(NewAlert {
                resident_id: subject.resident_id.clone(),
                finding,
            });
        }
    }
    Ok((alerts, coverage))
}

/// What a declared department said of a village's people: `None` where no configured
/// system serves the village (its checks are then not made), else each person it knows.
type Declared<V> = Option<HashMap<IdNumber, V>>;

fn known<'a, V>(answers: Option<&'a HashMap<IdNumber, V>>, id: &IdNumber) -> Known<&'a V> {
    match answers {
        None => Known::Unknown,
        Some(found) => Known::of(found.get(id)),
    }
}

/// The village's records of the system serving it: the village listing where the
/// system has one, else its batch (or one person at a time).
async fn declared_walk<V: DeclaredView>(
    routes: &Routes<V>,
    lane: &Lane,
    village: &RegionCode,
    ids: &[IdNumber],
    ctx: &impl Fn() -> CallContext,
) -> Result<Declared<V>, AdapterError> {
    let Some(system) = routes
        .for_village(village.as_str())
        .filter(|s| s.is_configured())
    else {
        return Ok(None);
    };
    if system.lists_villages() {
        let walked = lane
            .run(ids.len() as u64, || async {
                system.village(village, &ctx()).await
            })
            .await?;
        return Ok(Some(walked.value.into_iter().collect()));
    }
    let answers = lane
        .run(ids.len() as u64, || async {
            let mut answers = system.people(ids, &ctx()).await;
            let mut found = HashMap::new();
            for id in ids {
                if let Some(view) = answers.remove(id).transpose()?.and_then(|f| f.value) {
                    found.insert(*id, view);
                }
            }
            Ok(found)
        })
        .await?;
    Ok(Some(answers))
}

/// Employment registrations, asked only of the people a relapse check needs them for:
/// monitored against relapse, risk not eliminated, of working age.
async fn employment(
    departments: &Departments,
    lanes: &Lanes,
    poverty: Option<&HashMap<IdNumber, PovertyMonitoringView>>,
    rules: &RuleSettings,
    ctx: &impl Fn() -> CallContext,
) -> Result<HashMap<IdNumber, Option<EmploymentView>>, AdapterError> {
    let wanted: Vec<IdNumber> = poverty
        .into_iter()
        .flatten()
        .filter(|(id, view)| {
            view.monitored_now() && rules::WORKING_AGE.contains(&id.age_on(rules.today))
        })
        .map(|(id, _)| *id)
        .collect();
    let mut found = HashMap::new();
    for id in wanted {
        let fresh = lanes
            .social
            .run(1, || async {
                departments.employment.employment(&id, &ctx()).await
            })
            .await?;
        found.insert(id, fresh.value);
    }
    Ok(found)
}

/// The village's registrations from the register listing; people the listing misses
/// (registered elsewhere since the index was synchronised) are asked for one by one.
async fn register(
    departments: &Departments,
    lanes: &Lanes,
    village: &RegionCode,
    live: &[&Subject],
    ctx: &impl Fn() -> CallContext,
) -> Result<HashMap<IdNumber, RegistrationView>, AdapterError> {
    let wanted: std::collections::HashSet<IdNumber> = live.iter().map(|s| s.id_number).collect();
    let mut found = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = lanes
            .police
            .run(u64::from(REGISTER_PAGE), || async {
                departments
                    .police
                    .village_page(village, cursor.as_deref(), REGISTER_PAGE, &ctx())
                    .await
            })
            .await?;
        for view in page.items {
            if wanted.contains(&view.id_number) {
                found.insert(view.id_number, view);
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    for subject in live {
        if found.contains_key(&subject.id_number) {
            continue;
        }
        let id = subject.id_number;
        let fresh = lanes
            .police
            .run(1, || async { departments.police.person(&id, &ctx()).await })
            .await?;
        if let Some(view) = fresh.value {
            found.insert(id, view);
        }
    }
    Ok(found)
}
