//! A published snapshot: the indicators of every region summed up from the rollups,
//! suppressed once over everything it publishes, stored, and served from memory, so that
//! every read of a snapshot shows the same cells and a county's own figures always agree
//! with its row in its city's view.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use entities::{catalogue_item, region, stat_snapshot, village_rollup};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::{
    indicators, rollup,
    suppress::{Mark, Relation, suppress},
    table::{Node, Table},
};
use crate::{
    domain::{CHINA, RegionCode},
    store::StoreError,
};

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
    /// One per [`indicators::MEDIANS`].
    #[serde(default)]
    pub medians: Vec<MedianCell>,
    /// One per [`indicators::CATALOGUE_LEVELS`]: public counts, never withheld.
    #[serde(default)]
    pub public_values: Vec<i64>,
}

/// A median and how many values lie behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MedianCell {
    pub value: Option<f64>,
    pub values: i64,
}

/// Everything a snapshot publishes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub taken_at: DateTime<Utc>,
    pub threshold: i64,
    pub keys: Vec<String>,
    #[serde(default)]
    pub median_keys: Vec<String>,
    #[serde(default)]
    pub public_keys: Vec<String>,
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
        let serialised = snapshot.clone();
        let body = off_the_runtime(move || {
            serde_json::to_string(serialised.as_ref())
                .map_err(|e| StoreError::Data(format!("snapshot: {e}")))
        })
        .await?;
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

/// Runs `work` on a thread of its own, so that a province's worth of summing,
/// suppressing and encoding (tens of seconds of CPU) never holds up a runtime thread
/// that serves requests.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Data(format!("snapshot work stopped: {e}")))?
}

/// Sums the rollups up the division tree and suppresses the result.
pub async fn build(
    db: &impl ConnectionTrait,
    threshold: i64,
    now: DateTime<Utc>,
) -> Result<Snapshot, StoreError> {
    let rollups = rollup::all(db).await?;
    let regions = region::Entity::find()
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?;
    let offered = Catalogue::load(db).await?;
    off_the_runtime(move || Ok(assemble(rollups, regions, &offered, threshold, now))).await
}

/// The snapshot of `rollups` over the division tree `regions`, with the catalogue
/// `offered`: pure work, no I/O.
fn assemble(
    rollups: Vec<village_rollup::Model>,
    mut regions: Vec<region::Model>,
    offered: &Catalogue,
    threshold: i64,
    now: DateTime<Utc>,
) -> Snapshot {
    let today = now.with_timezone(&CHINA).date_naive();
    // Catalogue items are data: the snapshot names those its rollups hold requests or
    // ratings of.
    let codes = |source: &str, prefix: &str| -> Vec<String> {
        rollups
            .iter()
            .filter(|r| r.source == source)
            .filter_map(|r| r.metric.strip_prefix(prefix))
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let items = codes(rollup::Source::Requests.as_str(), "item.opened.");
    let rated_items = codes(rollup::Source::Satisfaction.as_str(), "rated.item.");
    let (list, groups) = indicators::catalogue(today, &items, &rated_items);
    let window: BTreeSet<String> = indicators::last_twelve_months(today).into_iter().collect();
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
    let by_source: HashMap<(&str, &str, &str), usize> = list
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            (
                (
                    ind.source,
                    ind.metric.as_str(),
                    ind.month.as_deref().unwrap_or(""),
                ),
                i,
            )
        })
        .collect();
    let children = table.children();
    let mut distributions = Distributions::new(regions.len());
    for row in &rollups {
        let Some(&node) = index.get(&row.village_code) else {
            continue;
        };
        if !children[node].is_empty() {
            continue;
        }
        let source = row.source.as_str();
        let mut add = |metric: &str, period: &str| {
            if let Some(&k) = by_source.get(&(source, metric, period)) {
                let at = table.cell(node, k);
                table.values[at] += row.value;
            }
        };
        if let Some(group) = row.metric.strip_prefix(rollup::LAST_VISIT) {
            // Residents of a key group by the day of their last visit: within a window
            // of the snapshot's day or not.
            let Ok(day) = NaiveDate::parse_from_str(&row.period, "%Y-%m-%d") else {
                continue;
            };
            let age = (today - day).num_days();
            for days in indicators::VISIT_WINDOWS {
                if (0..=days).contains(&age) {
                    add(&format!("within_{days}.{group}"), "");
                }
            }
            continue;
        }
        if distributions.add(node, row, &window) {
            continue;
        }
        add(&row.metric, &row.period);
        // A month inside the window also counts in the twelve months' total.
        if window.contains(&row.period) {
            add(&row.metric, "");
        }
    }
    split_key_groups(&mut table, &list, &children);
    table.sum_up();
    distributions.sum_up(&table);
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
                    medians: distributions.medians(i),
                    public_values: offered.in_region(&r.code),
                },
            )
        })
        .collect();
    Snapshot {
        taken_at: now,
        threshold,
        keys: list.into_iter().map(|i| i.key).collect(),
        median_keys: indicators::MEDIANS
            .iter()
            .map(|m| m.key.to_owned())
            .collect(),
        public_keys: indicators::CATALOGUE_LEVELS
            .iter()
            .map(|(key, _)| (*key).to_owned())
            .collect(),
        regions: rows,
    }
}

/// Splits each key group of known size, in every village, into its residents visited
/// within a window (capped at the size: a resident visited as a member may since have
/// left the group) and the rest, so that the size is the sum of the two.
fn split_key_groups(table: &mut Table, list: &[indicators::Indicator], children: &[Vec<usize>]) {
    let at = |key: &str| list.iter().position(|i| i.key == key);
    for (group, size) in indicators::KEY_GROUP_SIZES {
        for days in indicators::VISIT_WINDOWS {
            let (Some(size), Some(visited), Some(not)) = (
                at(size),
                at(&format!("visits.within_{days}.{group}")),
                at(&format!("visits.not_within_{days}.{group}")),
            ) else {
                continue;
            };
            for node in (0..table.nodes.len()).filter(|&n| children[n].is_empty()) {
                let total = table.values[table.cell(node, size)];
                let cell = table.cell(node, visited);
                table.values[cell] = table.values[cell].min(total);
                let rest = total - table.values[cell];
                let cell = table.cell(node, not);
                table.values[cell] = rest;
            }
        }
    }
}

/// The distributions behind the medians, per region: how many values equal each `n`.
struct Distributions {
    /// `[region][median] → n → count`.
    counts: Vec<Vec<BTreeMap<i64, i64>>>,
}

impl Distributions {
    fn new(regions: usize) -> Self {
        Self {
            counts: vec![vec![BTreeMap::new(); indicators::MEDIANS.len()]; regions],
        }
    }

    /// Takes `row` if it belongs to a distribution (inside the window or not).
    fn add(&mut self, node: usize, row: &village_rollup::Model, window: &BTreeSet<String>) -> bool {
        for (m, median) in indicators::MEDIANS.iter().enumerate() {
            if row.source != median.source {
                continue;
            }
            let Some(n) = row.metric.strip_prefix(median.prefix) else {
                continue;
            };
            if let (Ok(n), true) = (n.parse::<i64>(), window.contains(&row.period)) {
                *self.counts[node][m].entry(n).or_default() += row.value;
            }
            return true;
        }
        false
    }

    /// Adds each leaf's distributions into its ancestors.
    fn sum_up(&mut self, table: &Table) {
        for node in (0..table.nodes.len()).rev() {
            let Some(parent) = table.nodes[node].parent else {
                continue;
            };
            let own = std::mem::take(&mut self.counts[node]);
            for (m, counts) in own.iter().enumerate() {
                for (n, c) in counts {
                    *self.counts[parent][m].entry(*n).or_default() += c;
                }
            }
            self.counts[node] = own;
        }
    }

    fn medians(&self, node: usize) -> Vec<MedianCell> {
        self.counts[node].iter().map(median).collect()
    }
}

/// The median of a distribution (the mean of the two middle values for an even count).
fn median(counts: &BTreeMap<i64, i64>) -> MedianCell {
    let total: i64 = counts.values().sum();
    let nth = |wanted: i64| {
        let mut seen = 0;
        counts.iter().find_map(|(n, c)| {
            seen += c;
            (seen > wanted).then_some(*n)
        })
    };
    let value = match total {
        0 => None,
        t if t % 2 == 1 => nth(t / 2).map(|v| v as f64),
        t => nth(t / 2 - 1)
            .zip(nth(t / 2))
            .map(|(a, b)| (a + b) as f64 / 2.0),
    };
    MedianCell {
        value,
        values: total,
    }
}

/// The service catalogue's items in force, by level and area: public facts, published
/// with every snapshot.
struct Catalogue {
    /// `(level code, area's code digits)`.
    items: Vec<(String, String)>,
}

impl Catalogue {
    async fn load(db: &impl ConnectionTrait) -> Result<Self, StoreError> {
        let items = catalogue_item::Entity::find()
            .select_only()
            .column(catalogue_item::Column::Level)
            .column(catalogue_item::Column::Region)
            .filter(catalogue_item::Column::RetiredAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        Ok(Self { items })
    }

    /// Items of each level offered in the region `code` (12 digits): those whose area
    /// contains the region or lies in it.
    fn in_region(&self, code: &str) -> Vec<i64> {
        let digits = RegionCode::from_statistical(code)
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|_| code.to_owned());
        indicators::CATALOGUE_LEVELS
            .iter()
            .map(|(_, level)| {
                self.items
                    .iter()
                    .filter(|(l, area)| {
                        l == level
                            && (digits.starts_with(area.as_str()) || area.starts_with(&digits))
                    })
                    .count() as i64
            })
            .collect()
    }
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
