//! Visits (走访) in the hub's tables: a village cadre's visit to a key-group resident,
//! what was found, and the request it opened, if any. The id is the client's, so a visit
//! captured offline keeps it when it is sent later. Owns the table `visit`.

use chrono::{DateTime, NaiveDate, Utc};
use entities::visit;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult, sea_query::Query,
};

use crate::{
    domain::Department,
    store::{StoreError, residents::Narrowing},
};

/// The key groups a village visits (重点人群).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyGroup {
    ElderlyLivingAlone,
    SeverelyDisabled,
    AssistanceRecipient,
    PovertyMonitoring,
    LeftBehindElderly,
    LeftBehindChild,
    EntitledGroup,
    Other,
}

impl KeyGroup {
    pub const ALL: [KeyGroup; 8] = [
        Self::ElderlyLivingAlone,
        Self::SeverelyDisabled,
        Self::AssistanceRecipient,
        Self::PovertyMonitoring,
        Self::LeftBehindElderly,
        Self::LeftBehindChild,
        Self::EntitledGroup,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ElderlyLivingAlone => "ELDERLY_LIVING_ALONE",
            Self::SeverelyDisabled => "SEVERELY_DISABLED",
            Self::AssistanceRecipient => "ASSISTANCE_RECIPIENT",
            Self::PovertyMonitoring => "POVERTY_MONITORING",
            Self::LeftBehindElderly => "LEFT_BEHIND_ELDERLY",
            Self::LeftBehindChild => "LEFT_BEHIND_CHILD",
            Self::EntitledGroup => "ENTITLED_GROUP",
            Self::Other => "OTHER",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }
}

/// A visit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub id: String,
    pub resident_id: String,
    pub village_code: String,
    pub key_group: KeyGroup,
    pub visited_on: NaiveDate,
    pub findings: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub request_id: Option<String>,
    pub fingerprint: String,
}

/// Inserts `visit` unless its id is taken; says whether it was inserted. Run inside the
/// transaction of everything recorded with it: the insert is its first statement.
pub async fn insert(db: &impl ConnectionTrait, visit: &Visit) -> Result<bool, StoreError> {
    let row = visit::Model {
        id: visit.id.clone(),
        resident_id: visit.resident_id.clone(),
        village_code: visit.village_code.clone(),
        kind: visit.key_group.code().to_owned(),
        visited_on: visit.visited_on,
        findings: visit.findings.clone(),
        recorded_by: visit.recorded_by.clone(),
        recorded_at: visit.recorded_at,
        request_id: visit.request_id.clone(),
        fingerprint: visit.fingerprint.clone(),
    };
    let result = visit::Entity::insert(visit::ActiveModel::from(row))
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    let inserted = matches!(result, TryInsertResult::Inserted(n) if n > 0);
    if inserted {
        super::tally::visits(db, &visit.village_code, visit.recorded_at).await?;
    }
    Ok(inserted)
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Visit>, StoreError> {
    visit::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .map(to_visit)
        .transpose()
}

/// Which visits a listing shows.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    /// A region prefix the visit's village starts with.
    pub region_prefix: String,
    pub resident_id: Option<String>,
    pub key_group: Option<KeyGroup>,
    /// Visited on or after.
    pub visited_since: Option<NaiveDate>,
    /// Only visits whose request was routed to this department.
    pub routed_to: Option<Department>,
}

impl VisitFilter {
    fn condition(&self) -> Condition {
        let mut condition =
            Condition::all().add(visit::Column::VillageCode.starts_with(&self.region_prefix));
        if let Some(resident) = &self.resident_id {
            condition = condition.add(visit::Column::ResidentId.eq(resident.as_str()));
        }
        if let Some(group) = self.key_group {
            condition = condition.add(visit::Column::Kind.eq(group.code()));
        }
        if let Some(since) = self.visited_since {
            condition = condition.add(visit::Column::VisitedOn.gte(since));
        }
        if let Some(department) = self.routed_to {
            condition = condition
                .add(visit::Column::RequestId.in_subquery(super::requests::routed_to(department)));
        }
        condition
    }
}

/// Where a page of visits continues: visits are listed newest visit first, then by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitCursor {
    pub visited_on: NaiveDate,
    pub id: String,
}

impl VisitCursor {
    pub fn of(visit: &Visit) -> Self {
        Self {
            visited_on: visit.visited_on,
            id: visit.id.clone(),
        }
    }

    pub fn key(&self) -> String {
        format!("{}|{}", self.visited_on, self.id)
    }

    pub fn parse(key: &str) -> Option<Self> {
        let (day, id) = key.split_once('|')?;
        Some(Self {
            visited_on: day.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

/// Up to `limit` visits after `after`, and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &VisitFilter,
    after: Option<&VisitCursor>,
    limit: u64,
) -> Result<(Vec<Visit>, bool), StoreError> {
    let mut condition = filter.condition();
    if let Some(after) = after {
        condition = condition.add(
            Condition::any()
                .add(visit::Column::VisitedOn.lt(after.visited_on))
                .add(
                    Condition::all()
                        .add(visit::Column::VisitedOn.eq(after.visited_on))
                        .add(visit::Column::Id.gt(after.id.as_str())),
                ),
        );
    }
    let mut rows = visit::Entity::find()
        .filter(condition)
        .order_by_desc(visit::Column::VisitedOn)
        .order_by_asc(visit::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let visits = rows.into_iter().map(to_visit).collect::<Result<_, _>>()?;
    Ok((visits, has_next))
}

pub async fn count(db: &impl ConnectionTrait, filter: &VisitFilter) -> Result<u64, StoreError> {
    Ok(visit::Entity::find()
        .filter(filter.condition())
        .count(db)
        .await?)
}

/// The residents with no visit on or after `since` (for `group`, if given), for the
/// resident listing.
pub fn residents_not_visited_since(since: NaiveDate, group: Option<KeyGroup>) -> Narrowing {
    let mut visited = Query::select();
    visited
        .column(visit::Column::ResidentId)
        .from(visit::Entity)
        .and_where(visit::Column::VisitedOn.gte(since));
    if let Some(group) = group {
        visited.and_where(visit::Column::Kind.eq(group.code()));
    }
    Narrowing::ids_not_in(visited.to_owned())
}

fn to_visit(row: visit::Model) -> Result<Visit, StoreError> {
    let key_group = KeyGroup::parse(&row.kind)
        .ok_or_else(|| StoreError::Data(format!("visit {}: bad kind", row.id)))?;
    Ok(Visit {
        id: row.id,
        resident_id: row.resident_id,
        village_code: row.village_code,
        key_group,
        visited_on: row.visited_on,
        findings: row.findings,
        recorded_by: row.recorded_by,
        recorded_at: row.recorded_at,
        request_id: row.request_id,
        fingerprint: row.fingerprint,
    })
}
