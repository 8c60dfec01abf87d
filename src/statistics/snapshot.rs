//! A published snapshot: the indicators of every region summed up from the rollups,
//! suppressed once over everything it publishes, stored, and served from memory, so that
//! every read of a snapshot shows the same cells and a county's own figures always agree
//! with its row in its city's view.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use entities::{region, stat_snapshot};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, EntityTrait, QueryOrder,
};
use serde::{Deserialize, Serialize};

use super::{
    indicators::{self, Indicator},
    rollup,
    suppress::{Mark, Relation, suppress},
    table::{Node, Table},
};
use crate::store::StoreError;

/// One region's published row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
    pub children: Vec<String>,
    /// The counts behind the row, by indicator (served to the admin only).
    pub values: Vec<i64>,
    pub marks: Vec<Mark>,
}

/// Everything a snapshot publishes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub taken_at: DateTime<Utc>,
    pub threshold: i64,
    pub keys: Vec<String>,
    pub regions: HashMap<String, RegionRow>,
}

/// The snapshot in force, shared by every request of this instance.
#[derive(Clone, Default)]
pub struct Published(Arc<RwLock<Option<Arc<Snapshot>>>>);

impl Published {
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.0
            .read()
            .map_or_else(|p| p.into_inner().clone(), |g| g.clone())
    }

    fn set(&self, snapshot: Arc<Snapshot>) {
        match self.0.write() {
            Ok(mut guard) => *guard = Some(snapshot),
            Err(poisoned) => *poisoned.into_inner() = Some(snapshot),
        }
    }

    /// Loads the newest stored snapshot (taken by this or another instance).
    pub async fn load_latest(&self, db: &impl ConnectionTrait) -> Result<bool, StoreError> {
        let row = stat_snapshot::Entity::find()
            .order_by_desc(stat_snapshot::Column::Id)
            .one(db)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let snapshot: Snapshot = serde_json::from_str(&row.body)
            .map_err(|e| StoreError::Data(format!("snapshot {}: {e}", row.id)))?;
        self.set(Arc::new(snapshot));
        Ok(true)
    }

    /// Takes a new snapshot from the rollups, stores it and puts it in force.
    pub async fn take(
        &self,
        db: &impl ConnectionTrait,
        threshold: i64,
        now: DateTime<Utc>,
    ) -> Result<Arc<Snapshot>, StoreError> {
        let snapshot = Arc::new(build(db, threshold, now).await?);
        let body = serde_json::to_string(snapshot.as_ref())
            .map_err(|e| StoreError::Data(format!("snapshot: {e}")))?;
        stat_snapshot::Entity::insert(stat_snapshot::ActiveModel {
            id: NotSet,
            taken_at: Set(now),
            threshold: Set(threshold as i32),
            body: Set(body),
        })
        .exec_without_returning(db)
        .await?;
        self.set(snapshot.clone());
        Ok(snapshot)
    }
}

/// Sums the rollups up the division tree and suppresses the result.
pub async fn build(
    db: &impl ConnectionTrait,
    threshold: i64,
    now: DateTime<Utc>,
) -> Result<Snapshot, StoreError> {
    let rollups = rollup::all(db).await?;
    let (mut list, mut groups) = indicators::catalogue(now.date_naive());
    let rated_items = rollups
        .iter()
        .filter(|r| r.source == rollup::Source::Satisfaction.as_str())
        .filter_map(|r| r.metric.strip_prefix("rated.item."));
    indicators::add_rated_items(&mut list, &mut groups, rated_items);
    let mut regions = region::Entity::find()
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?;
    // Parents before children: by level, then code.
    regions.sort_by_key(|r| (depth(&r.level), r.code.clone()));
    let index: HashMap<String, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.clone(), i))
        .collect();
    let nodes: Vec<Node> = regions
        .iter()
        .map(|r| Node {
            code: r.code.clone(),
            parent: r.parent_code.as_ref().and_then(|p| index.get(p).copied()),
        })
        .collect();
    let mut table = Table::new(nodes, list.len());
    let by_source: HashMap<(String, String, String), usize> = list
        .iter()
        .enumerate()
        .map(|(i, ind)| (lookup(ind), i))
        .collect();
    let children = table.children();
    for row in rollups {
        let Some(&node) = index.get(&row.village_code) else {
            continue;
        };
        if !children[node].is_empty() {
            continue;
        }
        // A month's count goes to its month and, inside the window, to the year's total.
        let own = by_source
            .get(&(row.source.clone(), row.metric.clone(), row.period.clone()))
            .copied();
        let total = (!row.period.is_empty() && own.is_some())
            .then(|| by_source.get(&(row.source.clone(), row.metric.clone(), String::new())))
            .flatten()
            .copied();
        for k in own.into_iter().chain(total) {
            let at = table.cell(node, k);
            table.values[at] += row.value;
        }
    }
    table.sum_up();
    let group_list: Vec<super::table::Group> = groups
        .iter()
        .map(|(total, parts)| super::table::Group {
            total: *total,
            parts: parts.clone(),
        })
        .collect();
    let relations: Vec<Relation> = table.relations(&group_list);
    let marks = suppress(&table.values, &relations, threshold);
    let k = list.len();
    let rows = regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                r.code.clone(),
                RegionRow {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    level: r.level.clone(),
                    parent: r.parent_code.clone(),
                    children: children[i]
                        .iter()
                        .map(|&c| regions[c].code.clone())
                        .collect(),
                    values: table.values[i * k..(i + 1) * k].to_vec(),
                    marks: marks[i * k..(i + 1) * k].to_vec(),
                },
            )
        })
        .collect();
    Ok(Snapshot {
        taken_at: now,
        threshold,
        keys: list.into_iter().map(|i| i.key).collect(),
        regions: rows,
    })
}

/// Rollup rows of a monthly series count in their month and in the twelve months'
/// total; rows of months outside the window match no indicator.
fn lookup(ind: &Indicator) -> (String, String, String) {
    (
        ind.source.to_owned(),
        ind.metric.clone(),
        ind.month.clone().unwrap_or_default(),
    )
}

fn depth(level: &str) -> u8 {
    match level {
        "province" => 0,
        "prefecture" => 1,
        "county" => 2,
        "township" => 3,
        _ => 4,
    }
}
