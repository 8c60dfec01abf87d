//! Statistics for dashboards: counts per village and period (rollups, never facts about
//! persons) written by the modules that see the work happen, and published snapshots of
//! indicators per region with small-cell suppression computed once per snapshot.

pub mod suppress;
pub mod table;
pub mod population;
pub mod rollup;
pub mod indicators;
pub mod snapshot;
