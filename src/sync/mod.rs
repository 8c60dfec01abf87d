//! `cunhub sync`: pulls household registration of a region, page by page, into the
//! hub's resident index. Each page and the run's position are committed together, so an
//! interrupted run resumes where it stopped; a finished run marks residents it no longer
//! saw as moved out.

use std::{future::Future, time::Instant};

use chrono::{NaiveDate, Utc};
use entities::sync_state;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait, sea_query::OnConflict};
use sha2::{Digest, Sha256};

use crate::{
    domain::{IdNumber, RegionCode},
    store::{
        StoreError,
        id_vault::IdVault,
        residents::{self, IndexStatus, ResidentRecord, UpsertCounts},
    },
};

/// One person as household registration lists them, in the hub's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    pub id_number: String,
    pub name: String,
    /// GB/T 2261.1 code.
    pub sex: String,
    pub birth_date: NaiveDate,
    /// GB 3304 code.
    pub ethnicity: String,
    /// 12-digit code of the village of registration.
    pub village_code: String,
    pub household_number: String,
    /// GB/T 4761 code.
    pub relationship: String,
    pub status: IndexStatus,
    pub death_date: Option<NaiveDate>,
}

/// One page of the register, and where the next one starts.
#[derive(Debug, Clone)]
pub struct RegisterPage {
    pub entries: Vec<RegisterEntry>,
    pub next_cursor: Option<String>,
    /// How many people the whole listing holds, when the department says.
    pub total: Option<u64>,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub seen: u64,
    pub added: u64,
    pub changed: u64,
    pub moved_out: u64,
    pub deceased: u64,
    /// Entries refused for a malformed ID number.
    pub rejected: u64,
    pub pages: u64,
    pub resumed: bool,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("household registration: {0}")]
    Department(String),
}

impl From<sea_orm::DbErr> for SyncError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(err.into())
    }
}

/// Synchronises `region`, fetching pages with `fetch(cursor)` and reporting
/// `(seen, total)` after each page.
pub async fn run<F, Fut, E>(
    db: &DatabaseConnection,
    vault: &IdVault,
    region: &RegionCode,
    mut fetch: F,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<SyncReport, SyncError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<RegisterPage, E>>,
    E: std::fmt::Display,
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
        Some(state) => (state.generation + 1, None, SyncReport::default(), Utc::now()),
        None => (1, None, SyncReport::default(), Utc::now()),
    };
    let clock = Instant::now();
    loop {
        let page = fetch(cursor.clone()).await.map_err(|e| SyncError::Department(e.to_string()))?;
        let mut records = Vec::with_capacity(page.entries.len());
        for entry in &page.entries {
            match record_of(vault, entry) {
                Some(record) => records.push(record),
                None => report.rejected += 1,
            }
        }
        let now = Utc::now();
        let txn = db.begin().await?;
        let counts = residents::upsert(&txn, &records, generation, now).await?;
        add(&mut report, counts, records.len() as u64);
        report.pages += 1;
        let finished = page.next_cursor.is_none();
        if finished {
            report.moved_out += residents::mark_unseen_moved_out(&txn, region.as_str(), generation).await?;
        }
        save_state(&txn, &key, generation, page.next_cursor.clone(), started_at, finished.then_some(now), &report).await?;
        txn.commit().await?;
        progress(report.seen, page.total);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    tracing::info!(region = %region, seen = report.seen, added = report.added, elapsed_ms = clock.elapsed().as_millis() as u64, "resident index synchronised");
    Ok(report)
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

/// The index record of an entry; `None` for a malformed ID number (never indexed).
fn record_of(vault: &IdVault, entry: &RegisterEntry) -> Option<ResidentRecord> {
    let number = IdNumber::parse(&entry.id_number).ok()?;
    let lookup_hash = vault.lookup_hash(number.as_str());
    let sealed = vault.seal(number.as_str());
    let content = serde_json::json!([
        entry.name,
        entry.sex,
        entry.birth_date.to_string(),
        entry.ethnicity,
        entry.village_code,
        entry.household_number,
        entry.relationship,
        entry.status.as_str(),
        entry.death_date.map(|d| d.to_string()),
    ]);
    Some(ResidentRecord {
        id: IdVault::resident_id(&lookup_hash),
        lookup_hash,
        id_cipher: sealed.ciphertext,
        key_version: i32::try_from(sealed.key_version).unwrap_or(i32::MAX),
        name: entry.name.clone(),
        sex: entry.sex.clone(),
        birth_date: entry.birth_date,
        ethnicity: entry.ethnicity.clone(),
        village_code: entry.village_code.clone(),
        household_number: entry.household_number.clone(),
        relationship: entry.relationship.clone(),
        status: entry.status,
        death_date: entry.death_date,
        content_hash: hex::encode(Sha256::digest(content.to_string().as_bytes())),
    })
}
