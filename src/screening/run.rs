//! A screening run of one region: villages in code order, each village's findings and
//! the run's position committed together, under a lease kept in the database. A run
//! that stops (killed, a department down, a village limit) resumes after the last
//! committed village.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{StreamExt, stream};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tracing::Instrument;

use super::{
    ScreeningSettings,
    coverage::Coverage,
    fair::{Lane, LaneReport},
    findings::{self, NewAlert},
    rules::RuleSettings,
    village::{self, Lanes, Subject},
};
use crate::{
    adapters::{AdapterError, Departments, DepartmentsSettings},
    domain::{Department, IdNumber, RegionCode},
    statistics::rollup::{self, Count, Source},
    store::{
        StoreError,
        id_vault::{IdVault, Sealed},
        residents::{self, ResidentFilter},
    },
};

/// Villages fetched at once, in order: while the first is committed and the second's last
/// calls come back, the third's keep every place of a department busy.
const PIPELINE: usize = 3;
/// Residents read from the index at a time.
const INDEX_PAGE: u64 = 1000;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Department(#[from] AdapterError),
    #[error("region {region} is being screened by {holder}")]
    Leased { region: String, holder: String },
    #[error("the lease of region {0} was lost to another run")]
    LeaseLost(String),
    #[error("a sealed ID number could not be read: {0}")]
    Vault(String),
}

impl From<sea_orm::DbErr> for ScreenError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// Where a run stands, after each committed village.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub villages_done: u64,
    pub villages_total: u64,
    pub residents: u64,
    pub alerts: u64,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct ScreenReport {
    pub region: String,
    pub generation: i64,
    /// Whether it continued an interrupted run.
    pub resumed: bool,
    /// Whether the region is done (false when stopped by a village limit).
    pub finished: bool,
    /// Counted over the whole run, its interrupted parts included.
    pub villages: u64,
    pub residents: u64,
    pub alerts: u64,
    /// This invocation's time and use of each department.
    pub elapsed: Duration,
    pub lanes: Vec<LaneReport>,
}

/// Options of one invocation.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Stop (resumably) after this many villages.
    pub max_villages: Option<u64>,
    /// The day the checks are made for (default: today).
    pub today: Option<chrono::NaiveDate>,
}

/// Everything a run needs.
pub struct Screener<'a> {
    pub db: &'a DatabaseConnection,
    pub vault: &'a IdVault,
    pub departments: &'a Departments,
    /// To size each department's lane from its `max_in_flight`.
    pub department_settings: &'a DepartmentsSettings,
    pub settings: &'a ScreeningSettings,
}

impl Screener<'_> {
    pub(super) fn lanes(&self) -> Lanes {
        let s = self.settings;
        let d = self.department_settings;
        let lane = |department, dept: &crate::adapters::DepartmentSettings| {
            let mut capacity = dept.tuning(&d.defaults).max_in_flight;
            if capacity == 0 && department == Department::MedicalInsurance {
                capacity = crate::adapters::medical::DEFAULT_IN_FLIGHT;
            }
            if capacity == 0 {
                capacity = s.assumed_capacity;
            }
            // The run's own cap, or the department's rate when that is lower.
            let department_rate = f64::from(dept.tuning(&d.defaults).rate_per_sec);
            let rate = if department_rate > 0.0
                && (s.rate_per_sec <= 0.0 || department_rate < s.rate_per_sec)
            {
                department_rate
            } else {
                s.rate_per_sec
            };
            Lane::new(department, capacity, s.share, rate)
        };
        let declared = &self.departments.declared;
        let declared_lane = |department, capacity: Option<u32>| {
            let capacity = capacity.filter(|c| *c > 0).unwrap_or(s.assumed_capacity);
            Lane::new(department, capacity, s.share, s.rate_per_sec)
        };
        let capacity_of = |first: Option<&crate::adapters::declared::Definition>| {
            first.and_then(|d| d.max_in_flight)
        };
        Lanes {
            medical: lane(Department::MedicalInsurance, &d.medical_insurance),
            social: lane(Department::SocialSecurity, &d.social_security),
            civil: lane(Department::CivilAffairs, &d.civil_affairs),
            police: lane(Department::PublicSecurity, &d.public_security),
            veterans: declared_lane(
                Department::VeteransAffairs,
                capacity_of(declared.veterans.systems().first().map(|s| s.definition())),
            ),
            health: declared_lane(
                Department::Health,
                capacity_of(
                    declared
                        .family_doctor
                        .systems()
                        .first()
                        .map(|s| s.definition()),
                ),
            ),
            agriculture: declared_lane(
                Department::Agriculture,
                capacity_of(declared.poverty.systems().first().map(|s| s.definition())),
            ),
        }
    }

    /// Screens `region`, reporting progress after each village.
    pub async fn run(
        &self,
        region: &RegionCode,
        options: &RunOptions,
        mut progress: impl FnMut(Progress),
    ) -> Result<ScreenReport, ScreenError> {
        let key = region.statistical();
        let holder = format!(
            "pid{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let mut row = self.acquire(&key, &holder).await?;
        let resumed = row.villages > 0 || row.last_village.is_some();
        let span =
            tracing::info_span!("screening.run", region = %region, generation = row.generation);
        let outcome = self
            .walk(region, &holder, &mut row, options, &mut progress)
            .instrument(span)
            .await;
        if outcome.is_err() {
            // Free the region at once; the position stays for the next run to resume.
            row.lease_holder = None;
            row.lease_until = None;
            let _ = findings::save_run(self.db, &row, &holder).await;
        }
        let (finished, elapsed, lanes) = outcome?;
        Ok(ScreenReport {
            region: region.to_string(),
            generation: row.generation,
            resumed,
            finished,
            villages: row.villages as u64,
            residents: row.residents as u64,
            alerts: row.alerts as u64,
            elapsed,
            lanes,
        })
    }

    /// Takes the lease and returns the run to continue (or a new one after a finished run).
    async fn acquire(&self, key: &str, holder: &str) -> Result<findings::RunRow, ScreenError> {
        let now = Utc::now();
        findings::ensure_run_row(self.db, key, now).await?;
        let until = now + self.settings.lease;
        if !findings::take_lease(self.db, key, holder, until, now).await? {
            let other = findings::run_row(self.db, key)
                .await?
                .and_then(|r| r.lease_holder)
                .unwrap_or_default();
            return Err(ScreenError::Leased {
                region: key.to_owned(),
                holder: other,
            });
        }
        let mut row = findings::run_row(self.db, key)
            .await?
            .ok_or_else(|| ScreenError::LeaseLost(key.to_owned()))?;
        if row.finished_at.is_some() {
            row.generation += 1;
            row.started_at = now;
            row.finished_at = None;
            row.last_village = None;
            row.villages = 0;
            row.residents = 0;
            row.alerts = 0;
            if !findings::save_run(self.db, &row, holder).await? {
                return Err(ScreenError::LeaseLost(key.to_owned()));
            }
        }
        Ok(row)
    }

    async fn walk(
        &self,
        region: &RegionCode,
        holder: &str,
        row: &mut findings::RunRow,
        options: &RunOptions,
        progress: &mut impl FnMut(Progress),
    ) -> Result<(bool, Duration, Vec<LaneReport>), ScreenError> {
        let clock = Instant::now();
        let prefix = region.as_str().to_owned();
        let villages = residents::villages(self.db, &prefix, row.last_village.as_deref()).await?;
        let total = row.villages as u64 + villages.len() as u64;
        let lanes = self.lanes();
        let rules = RuleSettings {
            today: options
                .today
                .unwrap_or_else(|| chrono::Local::now().date_naive()),
            elderly_age: self.settings.elderly_age,
        };
        let request_id = format!("screening-{}-{}", row.region, row.generation);
        let limit = options.max_villages.unwrap_or(u64::MAX);
        let pending = villages
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|code| {
                let (lanes, rules, request_id) = (&lanes, &rules, &request_id);
                let span = tracing::info_span!(
                    "screening.village",
                    village = %code,
                    residents = tracing::field::Empty,
                    alerts = tracing::field::Empty,
                );
                async move {
                    let subjects = self.subjects(&code).await?;
                    let (alerts, coverage) = village::screen(
                        self.departments,
                        lanes,
                        &code,
                        &subjects,
                        rules,
                        request_id,
                    )
                    .await?;
                    let current = tracing::Span::current();
                    current.record("residents", subjects.len());
                    current.record("alerts", alerts.len());
                    Ok::<_, ScreenError>((code, subjects.len() as u64, alerts, coverage))
                }
                .instrument(span)
            });
        let mut results = stream::iter(pending).buffered(PIPELINE);
        while let Some(result) = results.next().await {
            let (code, residents, alerts, coverage) = result?;
            self.commit(row, holder, &code, residents, &alerts, &coverage)
                .await?;
            progress(Progress {
                villages_done: row.villages as u64,
                villages_total: total,
                residents: row.residents as u64,
                alerts: row.alerts as u64,
            });
        }
        let finished = row.villages as u64 >= total;
        if finished {
            row.finished_at = Some(Utc::now());
        }
        row.lease_holder = None;
        row.lease_until = None;
        if !findings::save_run(self.db, row, holder).await? {
            return Err(ScreenError::LeaseLost(row.region.clone()));
        }
        let elapsed = clock.elapsed();
        let reports = [
            &lanes.medical,
            &lanes.social,
            &lanes.civil,
            &lanes.police,
            &lanes.veterans,
            &lanes.health,
            &lanes.agriculture,
        ]
        .into_iter()
        .map(|lane| lane.report(elapsed))
        .collect();
        tracing::info!(region = %region, villages = row.villages, alerts = row.alerts, elapsed_ms = elapsed.as_millis() as u64, finished, "screening run stopped");
        Ok((finished, elapsed, reports))
    }

    /// The residents of one village from the index, numbers opened.
    pub(super) async fn subjects(&self, village: &str) -> Result<Vec<Subject>, ScreenError> {
        let filter = ResidentFilter {
            region_prefix: village.to_owned(),
            ..ResidentFilter::default()
        };
        let mut subjects = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (records, more) =
                residents::page(self.db, &filter, after.as_deref(), INDEX_PAGE).await?;
            after = records.last().map(|r| r.id.clone());
            for record in records {
                let sealed = Sealed {
                    key_version: u32::try_from(record.key_version).unwrap_or_default(),
                    ciphertext: record.id_cipher,
                };
                let opened = self
                    .vault
                    .open(&sealed)
                    .map_err(|e| ScreenError::Vault(e.to_string()))?;
                let id_number =
                    IdNumber::parse(&opened).map_err(|e| ScreenError::Vault(e.to_string()))?;
                subjects.push(Subject {
                    resident_id: record.id,
                    id_number,
                    status: record.status,
                });
            }
            if !more {
                break;
            }
        }
        Ok(subjects)
    }

    /// One village's findings and the run's new position, in one transaction.
    async fn commit(
        &self,
        row: &mut findings::RunRow,
        holder: &str,
        village: &str,
        residents: u64,
        alerts: &[NewAlert],
        coverage: &Coverage,
    ) -> Result<(), ScreenError> {
        let now = Utc::now();
        row.last_village = Some(village.to_owned());
        row.villages += 1;
        row.residents += residents as i64;
        row.alerts += alerts.len() as i64;
        row.lease_until = Some(now + self.settings.lease);
        let txn = crate::store::begin_writing(self.db).await?;
        // The position is written first: it takes the write lock before any read, and a
        // lost lease stops the run before its findings land.
        if !findings::save_run(&txn, row, holder).await? {
            return Err(ScreenError::LeaseLost(row.region.clone()));
        }
        write_village(&txn, village, alerts, coverage, now).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// One village's findings and its counts for the statistics, inside the caller's
/// transaction (the sequential run moves its position in it, a split run marks its item).
pub(super) async fn write_village(
    txn: &impl ConnectionTrait,
    village: &str,
    alerts: &[NewAlert],
    coverage: &Coverage,
    now: chrono::DateTime<Utc>,
) -> Result<(), ScreenError> {
    let found = findings::replace_village(txn, village, alerts, now).await?;
    let counts = alert_counts(alerts, &found);
    rollup::replace(txn, village, Source::Alerts, &counts, now).await?;
    let coverage: Vec<Count> = coverage
        .counts
        .iter()
        .map(|(metric, n)| Count::now(metric.clone(), *n))
        .collect();
    rollup::replace(txn, village, Source::Coverage, &coverage, now).await?;
    Ok(())
}

/// A village's alert counts: all open alerts, by kind, and by the month each was first
/// found.
fn alert_counts(alerts: &[NewAlert], first_found: &[chrono::DateTime<Utc>]) -> Vec<Count> {
    let mut counts = std::collections::BTreeMap::<(String, String), i64>::new();
    let mut add = |metric: &str, period: String| {
        *counts.entry((metric.to_owned(), period)).or_default() += 1;
    };
    for (alert, found) in alerts.iter().zip(first_found) {
        add("open", String::new());
        add(alert.finding.kind.code(), String::new());
        add("found", rollup::month_of(*found));
    }
    counts
        .into_iter()
        .map(|((metric, period), n)| Count::in_month(metric, period, n))
        .collect()
}
