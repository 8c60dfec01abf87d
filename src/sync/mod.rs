//! `cunhub sync`: pulls household registration of a region, page by page, into the
//! hub's resident index. A few pages at a time and the run's position are committed
//! together, so an interrupted run resumes where it stopped; a finished run marks residents it no longer
//! saw as moved out. Owns the table `sync_state`; the index itself (`resident`) is written
//! through `store::residents`.

use std::{future::Future, time::Instant};

use chrono::Utc;
use entities::sync_state;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, sea_query::OnConflict};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::{
    adapters::{AdapterError, CallContext, Departments, Rejection},
    domain::{
        RegionCode, RegionLevel,
        views::{RegistrationPage, RegistrationStatus, RegistrationView},
    },
    statistics::population,
    store::{
        StoreError,
        id_vault::IdVault,
        regions::{self, RegionFilter},
        residents::{self, IndexStatus, ResidentRecord, UpsertCounts},
    },
};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub seen: u64,
    pub added: u64,
    pub changed: u64,
    pub moved_out: u64,
    pub deceased: u64,
    pub pages: u64,
    pub resumed: bool,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("household registration: {0}")]
    Department(#[from] AdapterError),
}

impl From<sea_orm::DbErr> for SyncError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// Registrations asked for per page.
pub const PAGE_SIZE: u32 = 500;
/// Registrations written per transaction, at least (the last one may hold fewer).
const COMMIT_RECORDS: usize = 5_000;

/// Synchronises `region` from the household register of public security, reporting
/// `(seen, total)` after each page.
pub async fn from_register(
    db: &DatabaseConnection,
    vault: &IdVault,
    departments: &Departments,
    region: &RegionCode,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<SyncReport, SyncError> {
    if !matches!(
        region.level(),
        RegionLevel::Province | RegionLevel::Prefecture
    ) {
        return county_or_below(db, vault, departments, region, progress).await;
    }
    // The register lists a county at most: a wider scope is its counties in turn, each
    // resumable on its own.
    let filter = RegionFilter {
        level: Some(RegionLevel::County),
        ..RegionFilter::default()
    };
    let counties = regions::page(db, &filter, None, 10_000).await?.regions;
    let mut total = SyncReport::default();
    for county in counties.iter().filter(|c| region.contains(&c.code)) {
        let before = total.seen;
        let report = match county_or_below(db, vault, departments, &county.code, |seen, _| {
            progress(before + seen, None)
        })
        .await
        {
            // A county nobody is registered in has nothing to synchronise.
            Err(SyncError::Department(AdapterError::Rejected {
                reason: Rejection::UnknownRegion,
                ..
            })) => continue,
            other => other?,
        };
        total.seen += report.seen;
        total.added += report.added;
        total.changed += report.changed;
        total.moved_out += report.moved_out;
        total.deceased += report.deceased;
        total.pages += report.pages;
        total.resumed |= report.resumed;
    }
    Ok(total)
}

/// Synchronises one county, township or village from the register.
async fn county_or_below(
    db: &DatabaseConnection,
    vault: &IdVault,
    departments: &Departments,
    region: &RegionCode,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<SyncReport, SyncError> {
    let fetch = |cursor: Option<String>| async move {
        // Each page gets its own deadline: a run lasts as long as the region is large.
        let ctx = CallContext::new(std::time::Duration::from_secs(30)).in_background();
        departments
            .police
            .village_page(region, cursor.as_deref(), PAGE_SIZE, &ctx)
            .await
    };
    run(db, vault, region, fetch, progress)
        .instrument(tracing::info_span!("sync.run", region = %region))
        .await
}

/// Synchronises `region`, fetching pages with `fetch(cursor)`.
pub async fn run<F, Fut>(
    db: &DatabaseConnection,
    vault: &IdVault,
    region: &RegionCode,
    mut fetch: F,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<SyncReport, SyncError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<RegistrationPage, AdapterError>>,
{
    let key = region.statistical();
    let previous = sync_state::Entity::find_by_id(key.clone()).one(db).await?;
    let (generation, mut cursor, mut report, started_at) = match previous {
        Some(state) if state.finished_at.is_none() => {
            let report = SyncReport {
                seen: state.seen as u64,
                added: state.added as u64,
                changed: state.changed as u64,
                moved_out: state.moved_out as u64,
                deceased: state.deceased as u64,
                resumed: true,
                ..SyncReport::default()
            };
            (state.generation, state.cursor, report, state.started_at)
        }
        Some(state) => (
            state.generation + 1,
            None,
            SyncReport::default(),
            Utc::now(),
        ),
        None => (1, None, SyncReport::default(), Utc::now()),
    };
    let clock = Instant::now();
    // Pages are written a few at a time: with random resident ids every transaction
    // rewrites most of the index pages it touches, so fewer, larger transactions write
    // far less. Only these pages are held in memory.
    let mut pending: Vec<ResidentRecord> = Vec::new();
    loop {
        let span = tracing::info_span!(
            "sync.page",
            page = report.pages + 1,
            registrations = tracing::field::Empty,
        );
        let page = match fetch(cursor.clone()).instrument(span.clone()).await {
            Ok(page) => page,
            Err(err) => {
                // What was read before the failure is kept: the next run resumes after it.
                let write = Write {
                    generation,
                    key: &key,
                    region,
                    cursor: cursor.clone(),
                    started_at,
                    finished: false,
                };
                write
                    .commit(db, &mut pending, &mut report)
                    .instrument(span)
                    .await?;
                return Err(err.into());
            }
        };
        // A person already in the index keeps their id, whichever lookup key version
        // their row is hashed under.
        let hashes: Vec<_> = page
            .items
            .iter()
            .map(|entry| vault.lookup_hashes(entry.id_number.as_str()))
            .collect();
        span.record("registrations", page.items.len());
        let known = residents::ids_by_lookup_hashes(db, &hashes.concat())
            .instrument(span.clone())
            .await?;
        pending.extend(page.items.iter().zip(&hashes).map(|(entry, hashes)| {
            let id = hashes.iter().find_map(|h| known.get(&h.hash)).cloned();
            record_of(vault, entry, id)
        }));
        report.pages += 1;
        let finished = page.next_cursor.is_none();
        if finished || pending.len() >= COMMIT_RECORDS {
            let write = Write {
                generation,
                key: &key,
                region,
                cursor: page.next_cursor.clone(),
                started_at,
                finished,
            };
            write
                .commit(db, &mut pending, &mut report)
                .instrument(span)
                .await?;
            progress(report.seen, Some(page.total));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(region = %region, seen = report.seen, added = report.added, elapsed_ms = clock.elapsed().as_millis() as u64, "resident index synchronised");
    Ok(report)
}

/// One transaction of a run: the pages read since the last one and the run's position.
struct Write<'a> {
    generation: i64,
    key: &'a str,
    region: &'a RegionCode,
    /// Where the next run starts.
    cursor: Option<String>,
    started_at: chrono::DateTime<Utc>,
    /// The region's last page: residents not seen are marked moved out.
    finished: bool,
}

impl Write<'_> {
    async fn commit(
        &self,
        db: &DatabaseConnection,
        pending: &mut Vec<ResidentRecord>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        if pending.is_empty() && !self.finished {
            return Ok(());
        }
        let now = Utc::now();
        let mut counted = *report;
        let txn = crate::store::begin_writing(db).await?;
        for chunk in pending.chunks(PAGE_SIZE as usize) {
            let counts = residents::upsert(&txn, chunk, self.generation, now).await?;
            add(&mut counted, counts, chunk.len() as u64);
        }
        if self.finished {
            counted.moved_out +=
                residents::mark_unseen_moved_out(&txn, self.region.as_str(), self.generation)
                    .await?;
        }
        // The population counts of every village the batch touched; at the end, of every
        // village of the region (a move out changes the village left behind).
        let villages: Vec<String> = if self.finished {
            population::villages_in(&txn, self.region.as_str()).await?
        } else {
            let touched: std::collections::BTreeSet<&str> =
                pending.iter().map(|r| r.village_code.as_str()).collect();
            touched.into_iter().map(str::to_owned).collect()
        };
        population::recompute(&txn, &villages, now).await?;
        save_state(
            &txn,
            self.key,
            self.generation,
            self.cursor.clone(),
            self.started_at,
            self.finished.then_some(now),
            &counted,
        )
        .await?;
        txn.commit().await?;
        *report = counted;
        pending.clear();
        Ok(())
    }
}

fn add(report: &mut SyncReport, counts: UpsertCounts, seen: u64) {
    report.seen += seen;
    report.added += counts.added;
    report.changed += counts.changed;
    report.moved_out += counts.moved_out;
    report.deceased += counts.deceased;
}

async fn save_state(
    db: &impl sea_orm::ConnectionTrait,
    key: &str,
    generation: i64,
    cursor: Option<String>,
    started_at: chrono::DateTime<Utc>,
    finished_at: Option<chrono::DateTime<Utc>>,
    report: &SyncReport,
) -> Result<(), sea_orm::DbErr> {
    let row = sync_state::ActiveModel {
        region: Set(key.to_owned()),
        generation: Set(generation),
        cursor: Set(cursor),
        started_at: Set(started_at),
        finished_at: Set(finished_at),
        seen: Set(report.seen as i64),
        added: Set(report.added as i64),
        changed: Set(report.changed as i64),
        moved_out: Set(report.moved_out as i64),
        deceased: Set(report.deceased as i64),
    };
    sync_state::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sync_state::Column::Region)
                .update_columns([
                    sync_state::Column::Generation,
                    sync_state::Column::Cursor,
                    sync_state::Column::StartedAt,
                    sync_state::Column::FinishedAt,
                    sync_state::Column::Seen,
                    sync_state::Column::Added,
                    sync_state::Column::Changed,
                    sync_state::Column::MovedOut,
                    sync_state::Column::Deceased,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The index record of a registration, under `id` if the person is in the index already
/// and a fresh id otherwise.
fn record_of(vault: &IdVault, entry: &RegistrationView, id: Option<String>) -> ResidentRecord {
    let number = entry.id_number.as_str();
    let lookup_hash = vault.lookup_hash(number);
    let sealed = vault.seal(number);
    let status = match entry.status {
        RegistrationStatus::Normal => IndexStatus::Normal,
        RegistrationStatus::MovedOut => IndexStatus::MovedOut,
        RegistrationStatus::Deceased => IndexStatus::Deceased,
    };
    let content = serde_json::json!([
        entry.name,
        entry.sex.code(),
        entry.birth_date.to_string(),
        entry.ethnicity.code(),
        entry.village_code,
        entry.household_number,
        entry.relationship.code(),
        status.as_str(),
        entry.death_date.map(|d| d.to_string()),
    ]);
    ResidentRecord {
        id: id.unwrap_or_else(residents::new_resident_id),
        lookup_hash,
        lookup_key_version: i32::try_from(vault.lookup_version()).unwrap_or(i32::MAX),
        id_cipher: sealed.ciphertext,
        key_version: i32::try_from(sealed.key_version).unwrap_or(i32::MAX),
        name: entry.name.clone(),
        sex: entry.sex.code().to_owned(),
        birth_date: entry.birth_date,
        ethnicity: entry.ethnicity.code().to_owned(),
        village_code: entry.village_code.clone(),
        household_number: entry.household_number.clone(),
        relationship: entry.relationship.code().to_owned(),
        status,
        death_date: entry.death_date,
        content_hash: hex::encode(Sha256::digest(content.to_string().as_bytes())),
    }
}
