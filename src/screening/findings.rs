//! The hub's tables of screening: stored findings (`alert`) and each region's run
//! position and lease (`screening_run`). Owns the tables `alert` and `screening_run`.

use chrono::{DateTime, Utc};
use entities::{alert, screening_run};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::follow_up::{self, FollowUpState};
use super::{
    access::AlertScope,
    rules::{AlertKind, Fact, Finding},
};
use crate::store::{StoreError, residents::Narrowing};

/// A finding as stored, with the time of the run that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    pub id: String,
    pub resident_id: String,
    pub village_code: String,
    pub kind: AlertKind,
    pub facts: Vec<Fact>,
    /// The facts as stored (JSON): what a follow-up compares to tell whether they changed.
    pub facts_json: String,
    pub screened_at: DateTime<Utc>,
    /// When a run first found it (the run that found it last, for alerts stored before
    /// this was recorded).
    pub first_found_at: DateTime<Utc>,
}

impl StoredAlert {
    /// The departments whose answers the alert rests on.
    pub fn departments(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for fact in &self.facts {
            if !seen.contains(&fact.department.as_str()) {
                seen.push(fact.department.as_str());
            }
        }
        seen
    }
}

/// A finding of a run about to be stored.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub resident_id: String,
    pub finding: Finding,
}

/// Which stored alerts a listing returns.
#[derive(Debug, Clone)]
pub struct AlertFilter {
    /// A region prefix (natural length) the village code starts with.
    pub region_prefix: String,
    pub kind: Option<AlertKind>,
    pub scope: AlertScope,
    /// Only alerts whose follow-up is in one of these states; none: all but the dismissed.
    pub follow_up: Vec<FollowUpState>,
    /// Only alerts found by a run, or followed up, at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Replaces the stored findings of `village` with `alerts`, all stamped `screened_at`;
/// returns when each of them was first found.
pub async fn replace_village(
    db: &impl ConnectionTrait,
    village: &str,
    alerts: &[NewAlert],
    screened_at: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    // An alert found again keeps the time it was first found.
    let first_found: std::collections::HashMap<String, DateTime<Utc>> = alert::Entity::find()
        .select_only()
        .column(alert::Column::Id)
        .column(alert::Column::FirstFoundAt)
        .filter(alert::Column::VillageCode.eq(village))
        .into_tuple::<(String, Option<DateTime<Utc>>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at)))
        .collect();
    alert::Entity::delete_many()
        .filter(alert::Column::VillageCode.eq(village))
        .exec(db)
        .await?;
    if alerts.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<DateTime<Utc>> = alerts
        .iter()
        .map(|a| {
            let id = format!("{}:{}", a.resident_id, a.finding.kind.code());
            first_found.get(&id).copied().unwrap_or(screened_at)
        })
        .collect();
    let rows = alerts
        .iter()
        .zip(&found)
        .map(|(a, first_found_at)| alert::ActiveModel {
            id: Set(format!("{}:{}", a.resident_id, a.finding.kind.code())),
            resident_id: Set(a.resident_id.clone()),
            village_code: Set(village.to_owned()),
            kind: Set(a.finding.kind.code().to_owned()),
            departments: Set(format!(",{},", a.finding.departments().join(","))),
            facts: Set(serde_json::to_string(&a.finding.facts).unwrap_or_else(|_| "[]".into())),
            screened_at: Set(screened_at),
            first_found_at: Set(Some(*first_found_at)),
        });
    // A resident listed under two villages in one run keeps the later finding.
    alert::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(alert::Column::Id)
                .update_columns([
                    alert::Column::VillageCode,
                    alert::Column::Departments,
                    alert::Column::Facts,
                    alert::Column::ScreenedAt,
                    alert::Column::FirstFoundAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(found)
}

/// Up to `limit` stored alerts after `after` (by id), and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &AlertFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<StoredAlert>, bool), StoreError> {
    let mut condition = condition(filter);
    if let Some(after) = after {
        condition = condition.add(alert::Column::Id.gt(after));
    }
    let mut rows = alert::Entity::find()
        .filter(condition)
        .order_by_asc(alert::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let alerts = rows.into_iter().map(to_stored).collect::<Result<_, _>>()?;
    Ok((alerts, has_next))
}

/// One stored alert by id.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<StoredAlert>, StoreError> {
    alert::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(to_stored)
        .transpose()
}

/// How many stored alerts match.
pub async fn count(db: &impl ConnectionTrait, filter: &AlertFilter) -> Result<u64, StoreError> {
    Ok(alert::Entity::find()
        .filter(condition(filter))
        .count(db)
        .await?)
}

/// Every stored alert of a region (for tests and tools; a region's findings are small
/// next to its residents).
pub async fn all_in(
    db: &impl ConnectionTrait,
    region_prefix: &str,
) -> Result<Vec<StoredAlert>, StoreError> {
    alert::Entity::find()
        .filter(alert::Column::VillageCode.starts_with(region_prefix))
        .order_by_asc(alert::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_stored)
        .collect()
}

/// The residents carrying a stored alert of `kind` the caller may see, not dismissed as a
/// false positive on the same facts, for the resident listing.
pub fn residents_with(kind: AlertKind, scope: AlertScope) -> Narrowing {
    let mut query = sea_orm::sea_query::Query::select();
    query
        .column(alert::Column::ResidentId)
        .from(alert::Entity)
        .and_where(alert::Column::Kind.eq(kind.code()))
        .and_where(follow_up::dismissed().not());
    if let AlertScope::Involving(d) = scope {
        query.and_where(alert::Column::Departments.like(format!("%,{},%", d.as_str())));
    }
    let admitted = match scope {
        AlertScope::All | AlertScope::Involving(_) => true,
        AlertScope::Kinds(kinds) => kinds.contains(kind),
        AlertScope::Nothing => false,
    };
    if admitted {
        Narrowing::ids_in(query.to_owned())
    } else {
        Narrowing::nobody()
    }
}

fn condition(filter: &AlertFilter) -> Condition {
    let mut condition =
        Condition::all().add(alert::Column::VillageCode.starts_with(&filter.region_prefix));
    if let Some(kind) = filter.kind {
        condition = condition.add(alert::Column::Kind.eq(kind.code()));
    }
    condition = condition.add(follow_up::in_states(&filter.follow_up));
    if let Some(since) = filter.updated_since {
        condition = condition.add(follow_up::changed_since(since));
    }
    match filter.scope {
        AlertScope::All => condition,
        AlertScope::Involving(d) => {
            condition.add(alert::Column::Departments.like(format!("%,{},%", d.as_str())))
        }
        AlertScope::Kinds(kinds) => condition.add(alert::Column::Kind.is_in(kinds.codes())),
        AlertScope::Nothing => condition.add(Expr::val(1).eq(0)),
    }
}

fn to_stored(model: alert::Model) -> Result<StoredAlert, StoreError> {
    let kind = AlertKind::parse(&model.kind)
        .ok_or_else(|| StoreError::Data(format!("alert {} has unknown kind", model.id)))?;
    let facts = serde_json::from_str(&model.facts)
        .map_err(|_| StoreError::Data(format!("alert {} has unreadable facts", model.id)))?;
    Ok(StoredAlert {
        id: model.id,
        resident_id: model.resident_id,
        village_code: model.village_code,
        kind,
        facts,
        facts_json: model.facts,
        screened_at: model.screened_at,
        first_found_at: model.first_found_at.unwrap_or(model.screened_at),
    })
}

/// A region's run as the database keeps it.
pub type RunRow = screening_run::Model;

/// Creates the region's row if it has none (as a finished generation 0).
pub async fn ensure_run_row(
    db: &impl ConnectionTrait,
    region: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = screening_run::ActiveModel {
        region: Set(region.to_owned()),
        generation: Set(0),
        lease_holder: Set(None),
        lease_until: Set(None),
        started_at: Set(now),
        finished_at: Set(Some(now)),
        last_village: Set(None),
        villages: Set(0),
        residents: Set(0),
        alerts: Set(0),
    };
    screening_run::Entity::insert(row)
        .on_conflict(
            OnConflict::column(screening_run::Column::Region)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Takes the region's lease for `holder` until `until`, if it is free, expired or
/// already `holder`'s. Returns whether it was taken.
pub async fn take_lease(
    db: &impl ConnectionTrait,
    region: &str,
    holder: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let free = Condition::any()
        .add(screening_run::Column::LeaseHolder.is_null())
        .add(screening_run::Column::LeaseUntil.lt(now))
        .add(screening_run::Column::LeaseHolder.eq(holder));
    let result = screening_run::Entity::update_many()
        .col_expr(screening_run::Column::LeaseHolder, Expr::value(holder))
        .col_expr(screening_run::Column::LeaseUntil, Expr::value(until))
        .filter(screening_run::Column::Region.eq(region))
        .filter(free)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn run_row(
    db: &impl ConnectionTrait,
    region: &str,
) -> Result<Option<RunRow>, StoreError> {
    Ok(screening_run::Entity::find_by_id(region.to_owned())
        .one(db)
        .await?)
}

/// Writes the run's position and counts, renewing the lease, if `holder` still holds it.
pub async fn save_run(
    db: &impl ConnectionTrait,
    row: &RunRow,
    holder: &str,
) -> Result<bool, StoreError> {
    let result = screening_run::Entity::update_many()
        .col_expr(
            screening_run::Column::Generation,
            Expr::value(row.generation),
        )
        .col_expr(
            screening_run::Column::LeaseHolder,
            Expr::value(row.lease_holder.clone()),
        )
        .col_expr(
            screening_run::Column::LeaseUntil,
            Expr::value(row.lease_until),
        )
        .col_expr(
            screening_run::Column::StartedAt,
            Expr::value(row.started_at),
        )
        .col_expr(
            screening_run::Column::FinishedAt,
            Expr::value(row.finished_at),
        )
        .col_expr(
            screening_run::Column::LastVillage,
            Expr::value(row.last_village.clone()),
        )
        .col_expr(screening_run::Column::Villages, Expr::value(row.villages))
        .col_expr(screening_run::Column::Residents, Expr::value(row.residents))
        .col_expr(screening_run::Column::Alerts, Expr::value(row.alerts))
        .filter(screening_run::Column::Region.eq(row.region.clone()))
        .filter(screening_run::Column::LeaseHolder.eq(holder))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
