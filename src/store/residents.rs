//! The resident index: written by synchronisation, read for lookups, search and scope.
//! Owns the table `resident`: only this module writes it (for `sync`). Listings take
//! [`Narrowing`]s that other modules build from their own tables, so the store applies
//! them without knowing what they mean.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use entities::resident;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement, Value,
    sea_query::{Expr, ExprTrait, LikeExpr, OnConflict, SelectStatement},
};

use super::{StoreError, id_vault::LookupHash, local::LocalReads, thread_pools::ThreadPools};

/// Registration status in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexStatus {
    Normal,
    MovedOut,
    Deceased,
}

impl IndexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::MovedOut => "moved_out",
            Self::Deceased => "deceased",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Normal, Self::MovedOut, Self::Deceased]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// One resident as the index holds it (the ID number sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentRecord {
    pub id: String,
    pub lookup_hash: String,
    /// The lookup key version of `lookup_hash`.
    pub lookup_key_version: i32,
    pub id_cipher: String,
    pub key_version: i32,
    pub name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub ethnicity: String,
    pub village_code: String,
    pub household_number: String,
    pub relationship: String,
    pub status: IndexStatus,
    pub death_date: Option<NaiveDate>,
    pub content_hash: String,
}

/// A fresh resident id: `R` and 24 hex characters from a random UUID, assigned once when
/// a person first enters the index and kept across every re-synchronisation and key
/// rotation. It says nothing about the ID number.
pub fn new_resident_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("R{}", &random[..24])
}

/// What a batch of upserts changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub added: u64,
    pub changed: u64,
    pub moved_out: u64,
    pub deceased: u64,
}

/// Which residents a listing returns.
#[derive(Debug, Clone, Default)]
pub struct ResidentFilter {
    /// A region-code prefix in 12-digit statistical form, trimmed to its natural length.
    pub region_prefix: String,
    pub name_contains: Option<String>,
    pub sex: Option<String>,
    /// Born on or after.
    pub born_from: Option<NaiveDate>,
    /// Born on or before.
    pub born_until: Option<NaiveDate>,
    pub status: Option<IndexStatus>,
    /// Further conditions, each built by the module that owns what it asks about.
    pub narrowings: Vec<Narrowing>,
}

/// A condition on the residents of a listing, opaque to the store: for example "carries
/// an alert of this kind" or "not visited since", each built by the module that owns the
/// table it asks about.
#[derive(Debug, Clone)]
pub struct Narrowing(Condition);

impl Narrowing {
    /// The residents whose ids `ids` selects (a query of one column).
    pub fn ids_in(ids: SelectStatement) -> Self {
        Self(Condition::all().add(resident::Column::Id.in_subquery(ids)))
    }

    /// The residents whose ids `ids` does not select (a query of one column).
    pub fn ids_not_in(ids: SelectStatement) -> Self {
        Self(Condition::all().add(resident::Column::Id.not_in_subquery(ids)))
    }

    /// Nobody at all.
    pub fn nobody() -> Self {
        Self(Condition::all().add(Expr::val(1).eq(0)))
    }
}

/// Inserts or updates `records`, stamping them with `generation`, and counts what changed.
pub async fn upsert(
    db: &impl ConnectionTrait,
    records: &[ResidentRecord],
    generation: i64,
    now: DateTime<Utc>,
) -> Result<UpsertCounts, StoreError> {
    let mut counts = UpsertCounts::default();
    if records.is_empty() {
        return Ok(counts);
    }
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let existing: HashMap<String, (String, String)> = resident::Entity::find()
        .filter(resident::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, (m.content_hash, m.status)))
        .collect();
    for record in records {
        match existing.get(&record.id) {
            None => counts.added += 1,
            Some((hash, status)) => {
                if *hash != record.content_hash {
                    counts.changed += 1;
                }
                if status != record.status.as_str() {
                    match record.status {
                        IndexStatus::MovedOut => counts.moved_out += 1,
                        IndexStatus::Deceased => counts.deceased += 1,
                        IndexStatus::Normal => {}
                    }
                }
            }
        }
    }
    let rows = records.iter().map(|r| resident::ActiveModel {
        id: Set(r.id.clone()),
        lookup_hash: Set(r.lookup_hash.clone()),
        lookup_key_version: Set(r.lookup_key_version),
        id_cipher: Set(r.id_cipher.clone()),
        key_version: Set(r.key_version),
        name: Set(r.name.clone()),
        sex: Set(r.sex.clone()),
        birth_date: Set(r.birth_date),
        ethnicity: Set(r.ethnicity.clone()),
        village_code: Set(r.village_code.clone()),
        household_number: Set(r.household_number.clone()),
        relationship: Set(r.relationship.clone()),
        status: Set(r.status.as_str().to_owned()),
        death_date: Set(r.death_date),
        content_hash: Set(r.content_hash.clone()),
        sync_generation: Set(generation),
        synced_at: Set(now),
    });
    // The sealed number is written once: the number never changes for a resident id,
    // and re-sealing it on every run would only churn the ciphertext.
    let mut on_conflict = OnConflict::column(resident::Column::Id);
    on_conflict.update_columns([
        resident::Column::Name,
        resident::Column::Sex,
        resident::Column::BirthDate,
        resident::Column::Ethnicity,
        resident::Column::VillageCode,
        resident::Column::HouseholdNumber,
        resident::Column::Relationship,
        resident::Column::Status,
        resident::Column::DeathDate,
        resident::Column::ContentHash,
        resident::Column::SyncGeneration,
        resident::Column::SyncedAt,
    ]);
    resident::Entity::insert_many(rows)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(counts)
}

/// Marks residents of the region that a complete run did not see as moved out.
pub async fn mark_unseen_moved_out(
    db: &impl ConnectionTrait,
    region_prefix: &str,
    generation: i64,
) -> Result<u64, StoreError> {
    let result = resident::Entity::update_many()
        .col_expr(
            resident::Column::Status,
            Expr::value(IndexStatus::MovedOut.as_str()),
        )
        .filter(resident::Column::VillageCode.starts_with(region_prefix))
        .filter(resident::Column::SyncGeneration.lt(generation))
        .filter(resident::Column::Status.eq(IndexStatus::Normal.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<ResidentRecord>, StoreError> {
    resident::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(to_record)
        .transpose()
}

/// The resident whose ID number has one of `hashes` (each under its lookup key version),
/// preferring the first: a lookup in the middle of a key rotation.
pub async fn find_by_lookup_hashes(
    db: &impl ConnectionTrait,
    hashes: &[LookupHash],
) -> Result<Option<ResidentRecord>, StoreError> {
    let found = with_lookup_hashes(db, hashes)
        .await?
        .into_iter()
        .map(to_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(preferred(found, hashes))
}

/// [`find_by_lookup_hashes`] on the calling thread when it can be (see [`LocalReads`] and
/// [`ThreadPools`]):
/// the lookup on the path of every request that names an ID number.
pub async fn find_by_lookup_hashes_here(
    local: &LocalReads,
    pools: &ThreadPools,
    db: &impl ConnectionTrait,
    hashes: &[LookupHash],
) -> Result<Option<ResidentRecord>, StoreError> {
    if hashes.is_empty() {
        return Ok(None);
    }
    let statement = match lookup_sql(hashes.len()) {
        Some(sql) => Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            hashes.iter().map(|h| Value::from(h.hash.clone())),
        ),
        None => lookup_select(hashes).build(DbBackend::Sqlite),
    };
    if let Some(found) = local.query(&statement, record_from_row) {
        return Ok(preferred(found, hashes));
    }
    let statement = lookup_select(hashes).build(DbBackend::Postgres);
    let Some(rows) = pools.query_all(&statement).await else {
        return find_by_lookup_hashes(db, hashes).await;
    };
    let found = rows?
        .iter()
        .map(|row| to_record(resident::Model::from_query_result(row, "")?))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(preferred(found, hashes))
}

/// The SQLite text of [`lookup_select`] for `count` hashes, written once per count: it is
/// the same for every lookup with as many (one, or two during a key rotation), and
/// writing it was a few per cent of a request's time. `None` past four.
fn lookup_sql(count: usize) -> Option<&'static str> {
    static WRITTEN: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    let written = WRITTEN.get(count.checked_sub(1)?)?;
    Some(written.get_or_init(|| {
        resident::Entity::find()
            .filter(resident::Column::LookupHash.is_in(vec![String::new(); count]))
            .build(DbBackend::Sqlite)
            .sql
    }))
}

/// Of the records `found` by any of `hashes`, the one the earliest hash names under its
/// own key version.
fn preferred(found: Vec<ResidentRecord>, hashes: &[LookupHash]) -> Option<ResidentRecord> {
    let index = hashes.iter().find_map(|h| {
        found.iter().position(|r| {
            r.lookup_hash == h.hash && i64::from(r.lookup_key_version) == i64::from(h.version)
        })
    })?;
    found.into_iter().nth(index)
}

/// The resident ids of the ID numbers among `hashes` that are in the index, by the hash
/// that found them.
pub async fn ids_by_lookup_hashes(
    db: &impl ConnectionTrait,
    hashes: &[LookupHash],
) -> Result<HashMap<String, String>, StoreError> {
    Ok(with_lookup_hashes(db, hashes)
        .await?
        .into_iter()
        .filter(|m| {
            hashes.iter().any(|h| {
                h.hash == m.lookup_hash && i64::from(h.version) == i64::from(m.lookup_key_version)
            })
        })
        .map(|m| (m.lookup_hash, m.id))
        .collect())
}

/// Rows with any of the hashes: one `IN` on the unique hash, whose version the caller
/// checks (an `OR` per version would nest too deep for SQLite on a page of residents).
async fn with_lookup_hashes(
    db: &impl ConnectionTrait,
    hashes: &[LookupHash],
) -> Result<Vec<resident::Model>, StoreError> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(lookup_select(hashes).all(db).await?)
}

fn lookup_select(hashes: &[LookupHash]) -> Select<resident::Entity> {
    resident::Entity::find()
        .filter(resident::Column::LookupHash.is_in(hashes.iter().map(|h| h.hash.clone())))
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<Vec<ResidentRecord>, StoreError> {
    resident::Entity::find()
        .filter(resident::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

/// The members of a household, head first.
pub async fn household(
    db: &impl ConnectionTrait,
    number: &str,
) -> Result<Vec<ResidentRecord>, StoreError> {
    resident::Entity::find()
        .filter(resident::Column::HouseholdNumber.eq(number))
        .order_by_asc(resident::Column::Relationship)
        .order_by_asc(resident::Column::BirthDate)
        .all(db)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

/// Up to `limit` residents after `after` (by id), and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &ResidentFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<ResidentRecord>, bool), StoreError> {
    let mut condition = condition(filter);
    if let Some(after) = after {
        condition = condition.add(resident::Column::Id.gt(after));
    }
    let mut rows = resident::Entity::find()
        .filter(condition)
        .order_by_asc(resident::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((
        rows.into_iter().map(to_record).collect::<Result<_, _>>()?,
        has_next,
    ))
}

pub async fn count(db: &impl ConnectionTrait, filter: &ResidentFilter) -> Result<u64, StoreError> {
    Ok(resident::Entity::find()
        .filter(condition(filter))
        .count(db)
        .await?)
}

fn condition(filter: &ResidentFilter) -> Condition {
    // A whole village code asks by equality: a prefix `LIKE` cannot use the village index
    // on SQLite, so one village's page would scan the whole index of the province.
    let region = if filter.region_prefix.len() == 12 {
        resident::Column::VillageCode.eq(filter.region_prefix.as_str())
    } else {
        resident::Column::VillageCode.starts_with(&filter.region_prefix)
    };
    let mut condition = Condition::all().add(region);
    if let Some(fragment) = filter.name_contains.as_deref().filter(|s| !s.is_empty()) {
        let escaped: String = fragment
            .chars()
            .flat_map(|c| {
                if matches!(c, '%' | '_' | '\\') {
                    vec!['\\', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        condition = condition.add(
            Expr::col(resident::Column::Name)
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    if let Some(sex) = &filter.sex {
        condition = condition.add(resident::Column::Sex.eq(sex.clone()));
    }
    if let Some(from) = filter.born_from {
        condition = condition.add(resident::Column::BirthDate.gte(from));
    }
    if let Some(until) = filter.born_until {
        condition = condition.add(resident::Column::BirthDate.lte(until));
    }
    if let Some(status) = filter.status {
        condition = condition.add(resident::Column::Status.eq(status.as_str()));
    }
    for narrowing in &filter.narrowings {
        condition = condition.add(narrowing.0.clone());
    }
    condition
}

/// The villages (12-digit codes) of the index within `region_prefix`, after `after`, in
/// code order.
pub async fn villages(
    db: &impl ConnectionTrait,
    region_prefix: &str,
    after: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let mut condition =
        Condition::all().add(resident::Column::VillageCode.starts_with(region_prefix));
    if let Some(after) = after {
        condition = condition.add(resident::Column::VillageCode.gt(after));
    }
    Ok(resident::Entity::find()
        .select_only()
        .column(resident::Column::VillageCode)
        .distinct()
        .filter(condition)
        .order_by_asc(resident::Column::VillageCode)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// A row of `resident` read on the calling thread, as [`to_record`] makes it of a model.
fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ResidentRecord> {
    use resident::Column;
    // By position: looking a column up by name compares it with every column's name,
    // a few per cent of a lookup. The SELECT lists the entity's columns in their order.
    let text = |column: Column| row.get::<_, String>(position(column));
    let status = text(Column::Status)?;
    let status = IndexStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::InvalidColumnType(
            position(Column::Status),
            format!("status {status}"),
            rusqlite::types::Type::Text,
        )
    })?;
    Ok(ResidentRecord {
        id: text(Column::Id)?,
        lookup_hash: text(Column::LookupHash)?,
        lookup_key_version: row.get(position(Column::LookupKeyVersion))?,
        id_cipher: text(Column::IdCipher)?,
        key_version: row.get(position(Column::KeyVersion))?,
        name: text(Column::Name)?,
        sex: text(Column::Sex)?,
        birth_date: row.get(position(Column::BirthDate))?,
        ethnicity: text(Column::Ethnicity)?,
        village_code: text(Column::VillageCode)?,
        household_number: text(Column::HouseholdNumber)?,
        relationship: text(Column::Relationship)?,
        status,
        death_date: row.get(position(Column::DeathDate))?,
        content_hash: text(Column::ContentHash)?,
    })
}

/// Where `column` is in a SELECT of the whole entity: the columns in the order the
/// entity declares them, which is the order of the enum.
fn position(column: resident::Column) -> usize {
    column as usize
}

fn to_record(model: resident::Model) -> Result<ResidentRecord, StoreError> {
    let status = IndexStatus::parse(&model.status).ok_or_else(|| {
        StoreError::Data(format!(
            "resident {} has unknown status {}",
            model.id, model.status
        ))
    })?;
    Ok(ResidentRecord {
        id: model.id,
        lookup_hash: model.lookup_hash,
        lookup_key_version: model.lookup_key_version,
        id_cipher: model.id_cipher,
        key_version: model.key_version,
        name: model.name,
        sex: model.sex,
        birth_date: model.birth_date,
        ethnicity: model.ethnicity,
        village_code: model.village_code,
        household_number: model.household_number,
        relationship: model.relationship,
        status,
        death_date: model.death_date,
        content_hash: model.content_hash,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::*;

    #[test]
    fn the_lookup_text_written_once_is_the_one_built_for_as_many_hashes() {
        for count in 1..=4 {
            let hashes: Vec<LookupHash> = (0..count)
                .map(|i| LookupHash {
                    hash: format!("h{i}"),
                    version: 1,
                })
                .collect();
            let built = lookup_select(&hashes).build(DbBackend::Sqlite);
            assert_eq!(lookup_sql(count), Some(built.sql.as_str()));
        }
        assert_eq!(lookup_sql(0), None);
        assert_eq!(lookup_sql(5), None);
    }

    #[test]
    fn the_lookup_selects_the_columns_where_the_row_is_read() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        let create =
            sea_orm::Schema::new(DbBackend::Sqlite).create_table_from_entity(resident::Entity);
        connection
            .execute_batch(&DbBackend::Sqlite.build(&create).sql)
            .unwrap();
        let statement = connection.prepare(lookup_sql(1).unwrap()).unwrap();
        let selected = statement.column_names();
        assert_eq!(selected.len(), resident::Column::iter().count());
        for column in resident::Column::iter() {
            assert_eq!(selected[position(column)], column.as_str());
        }
    }
}
