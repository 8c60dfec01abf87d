//! Aggregate statistics for dashboards, served from the snapshot in force: no personal
//! data, no purpose needed, every read audited as an aggregate read.

use async_graphql::{Context, Enum, Object, SimpleObject};

use crate::{
    auth::Role,
    domain::RegionCode,
    error::{AppError, ResultExt},
    graphql::{context::ContextExt, doors::table::Door},
    policy::AccessError,
    statistics::{
        indicators::DEFINITIONS,
        snapshot::{RegionRow, Snapshot},
        suppress::Mark,
    },
};

/// Queries of aggregate statistics.
#[derive(Default)]
pub struct StatisticsQuery;

/// What a reader may see of one figure.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CellState {
    /// The figure is published (公开).
    Published,
    /// Withheld because the count lies between 1 and the threshold minus one, shown as
    /// "<5" with the default threshold (小数抑制).
    Small,
    /// Withheld so that a small figure cannot be worked out from the others (次级抑制).
    Complementary,
}

/// One figure of a region.
#[derive(SimpleObject)]
pub struct Figure {
    /// The indicator's key, e.g. `population.aged_80_plus` (see `statisticsIndicators`).
    pub indicator: String,
    /// The count; null when withheld (for the admin asking `unsuppressed`, always set).
    pub value: Option<i64>,
    /// Published, or why it is withheld.
    pub state: CellState,
}

/// A median of a region.
#[derive(SimpleObject)]
pub struct MedianFigure {
    /// The median's key, e.g. `requests.median_working_days_to_resolve`.
    pub indicator: String,
    /// The median; null when fewer than `threshold` values lie behind it (or none).
    pub value: Option<f64>,
    /// Published, or `SMALL` when fewer than `threshold` values lie behind it.
    pub state: CellState,
}

/// A region's figures in a snapshot.
#[derive(SimpleObject)]
pub struct StatisticsRow {
    /// The region's 12-digit statistical code.
    pub code: String,
    /// The region's name, e.g. 农安县.
    pub name: String,
    /// `province`, `prefecture`, `county`, `township`, `village`, `community` or `other`.
    pub level: String,
    /// One figure per indicator asked for, in the snapshot's order (the public counts of
    /// the catalogue, `catalogue.*`, last).
    pub figures: Vec<Figure>,
    /// One per median asked for (`alerts.median_days_to_handle`,
    /// `requests.median_working_days_to_resolve`).
    pub medians: Vec<MedianFigure>,
}

/// The figures of a region and of each of its children, from one snapshot.
#[derive(SimpleObject)]
pub struct RegionStatistics {
    /// When the snapshot was taken from the rollups.
    pub taken_at: chrono::DateTime<chrono::Utc>,
    /// Counts from 1 to `threshold − 1` are withheld.
    pub threshold: i64,
    /// The region itself.
    pub region: StatisticsRow,
    /// Its direct children in code order (at most a few hundred: not paged).
    pub children: Vec<StatisticsRow>,
}

/// What an indicator counts: numerator, denominator, source and freshness.
#[derive(SimpleObject)]
pub struct IndicatorDefinition {
    /// The key or key pattern (`KIND`, `DEPT`, `GROUP`, `YYYY-MM` stand for their values).
    pub key: String,
    /// What it counts (numerator; the denominator where it is a share), its source and
    /// how fresh it is.
    pub definition: String,
}

#[Object]
impl StatisticsQuery {
    /// Indicators of `region` and its children from the newest snapshot (null before the
    /// first snapshot, or for a region that does not exist). Readable by the dashboard
    /// role anywhere in its scope, a village assistant for its village, a township
    /// officer for its township, a department clerk for its county, and the admin;
    /// `FORBIDDEN` otherwise. Withheld figures are null with their state; rates are
    /// published figures divided by published figures, so they are withheld with them.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A division code of 2, 4, 6, 9 or 12 digits, e.g. 220122.")]
        region: String,
        #[graphql(desc = "Only indicators whose key starts with one of these (default: all).")]
        indicators: Option<Vec<String>>,
        #[graphql(desc = "The counts behind withheld figures: the admin only, audited.")]
        unsuppressed: Option<bool>,
    ) -> async_graphql::Result<Option<RegionStatistics>> {
        let request = ctx.request()?;
        let services = ctx.services()?;
        let code = RegionCode::parse(&region)
            .map_err(AppError::from)
            .or_graphql()?;
        let Some(principal) = request.caller.principal.as_ref() else {
            return Err(AppError::Access(AccessError::Unauthenticated)).or_graphql();
        };
        let reads = Door::Statistics.admits(Some(principal.role), &services.policy);
        let unsuppressed = unsuppressed.unwrap_or(false);
        if !reads
            || !principal.region.contains(&code)
            || (unsuppressed && principal.role != Role::Admin)
        {
            request.access.refused("statistics.read", "forbidden");
            return Err(AppError::Forbidden).or_graphql();
        }
        let mut audited: Vec<String> = indicators.clone().unwrap_or_else(|| vec!["*".into()]);
        if unsuppressed {
            audited.push("unsuppressed".into());
        }
        request.access.aggregate_read(code.as_str(), audited);
        // An instance that has not loaded a snapshot yet serves the newest stored one.
        if services.statistics.current().is_none() {
            services
                .statistics
                .load_latest(&services.db)
                .await
                .or_graphql()?;
        }
        let Some(snapshot) = services.statistics.current() else {
            return Ok(None);
        };
        let Some(own) = snapshot.regions.get(&code.statistical()) else {
            return Ok(None);
        };
        let wanted = |key: &str| {
            indicators
                .as_ref()
                .is_none_or(|list| list.iter().any(|p| key.starts_with(p.as_str())))
        };
        let row = |r: &RegionRow| row(&snapshot, r, &wanted, unsuppressed);
        Ok(Some(RegionStatistics {
            taken_at: snapshot.taken_at,
            threshold: snapshot.threshold,
            region: row(own),
            children: own
                .children
                .iter()
                .filter_map(|c| snapshot.regions.get(c))
                .map(row)
                .collect(),
        }))
    }

    /// The definition of every indicator a snapshot publishes.
    async fn statistics_indicators(&self) -> Vec<IndicatorDefinition> {
        DEFINITIONS
            .iter()
            .map(|(key, definition)| IndicatorDefinition {
                key: (*key).to_owned(),
                definition: (*definition).to_owned(),
            })
            .collect()
    }
}

fn row(
    snapshot: &Snapshot,
    r: &RegionRow,
    wanted: &impl Fn(&str) -> bool,
    unsuppressed: bool,
) -> StatisticsRow {
    let mut figures: Vec<Figure> = snapshot
        .keys
        .iter()
        .enumerate()
        .filter(|(_, key)| wanted(key))
        .map(|(i, key)| {
            let mark = r.marks.get(i).copied().unwrap_or(Mark::Small);
            let value = r.values.get(i).copied();
            Figure {
                indicator: key.clone(),
                value: if mark == Mark::Published || unsuppressed {
                    value
                } else {
                    None
                },
                state: match mark {
                    Mark::Published => CellState::Published,
                    Mark::Small => CellState::Small,
                    Mark::Complementary => CellState::Complementary,
                },
            }
        })
        .collect();
    figures.extend(
        snapshot
            .public_keys
            .iter()
            .zip(&r.public_values)
            .filter(|(key, _)| wanted(key))
            .map(|(key, value)| Figure {
                indicator: key.clone(),
                value: Some(*value),
                state: CellState::Published,
            }),
    );
    let medians = snapshot
        .median_keys
        .iter()
        .zip(&r.medians)
        .filter(|(key, _)| wanted(key))
        .map(|(key, cell)| {
            let enough = cell.values >= snapshot.threshold;
            MedianFigure {
                indicator: key.clone(),
                value: if enough || unsuppressed {
                    cell.value
                } else {
                    None
                },
                state: if enough {
                    CellState::Published
                } else {
                    CellState::Small
                },
            }
        })
        .collect();
    StatisticsRow {
        code: r.code.clone(),
        name: r.name.clone(),
        level: r.level.clone(),
        figures,
        medians,
    }
}
