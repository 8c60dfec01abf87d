//! The real 2023 division codes of Jilin Province, compiled into the binary so that no
//! data folder is needed at run time.

use super::{RegionCode, RegionCodeError, RegionLevel};

const PROVINCES: &str = include_str!("../../data/divisions/provinces.csv");
const PREFECTURES: &str = include_str!("../../data/divisions/cities.csv");
const COUNTIES: &str = include_str!("../../data/divisions/counties.csv");
const TOWNSHIPS: &str = include_str!("../../data/divisions/townships.csv");
const VILLAGES: &str = include_str!("../../data/divisions/villages.csv");

/// One unit of the division tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
}

/// A fault in the shipped division tables (a build that ships broken data).
#[derive(Debug, thiserror::Error)]
pub enum DivisionDataError {
    #[error("division table {table}: {source}")]
    Csv {
        table: &'static str,
        source: csv::Error,
    },
    #[error("division table {table}: bad code: {source}")]
    Code {
        table: &'static str,
        source: RegionCodeError,
    },
    #[error("division table {table}: code {code} has no parent in the tables")]
    Orphan { table: &'static str, code: String },
}

/// Every unit, parents before children, in code order within each level.
pub fn all() -> Result<Vec<Division>, DivisionDataError> {
    let mut out = Vec::with_capacity(13_100);
    for (table, text) in [
        ("provinces", PROVINCES),
        ("cities", PREFECTURES),
        ("counties", COUNTIES),
        ("townships", TOWNSHIPS),
        ("villages", VILLAGES),
    ] {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|source| DivisionDataError::Csv { table, source })?;
            let code = RegionCode::parse(record.get(0).unwrap_or_default())
                .map_err(|source| DivisionDataError::Code { table, source })?;
            let name = record.get(1).unwrap_or_default().trim().to_owned();
            let parent = code.parent();
            if parent.is_none() && code.level() != RegionLevel::Province {
                return Err(DivisionDataError::Orphan {
                    table,
                    code: code.to_string(),
                });
            }
            rows.push(Division {
                level: code.level(),
                code,
                name,
                parent,
            });
        }
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        out.extend(rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn shipped_tables_hold_the_2023_counts() {
        let divisions = all().unwrap_or_else(|e| panic!("{e}"));
        let mut counts: HashMap<RegionLevel, usize> = HashMap::new();
        for d in &divisions {
            *counts.entry(d.level).or_default() += 1;
        }
        assert_eq!(counts[&RegionLevel::Province], 1);
        assert_eq!(counts[&RegionLevel::Prefecture], 9);
        assert_eq!(counts[&RegionLevel::County], 69);
        assert_eq!(counts[&RegionLevel::Township], 1_075);
        assert_eq!(counts[&RegionLevel::Village], 9_321);
        assert_eq!(counts[&RegionLevel::Community], 2_271);
        assert_eq!(counts[&RegionLevel::Other], 268);
        let zones = divisions
            .iter()
            .filter(|d| d.level == RegionLevel::County && d.code.is_development_zone())
            .count();
        assert_eq!(zones, 9);
    }

    #[test]
    fn every_parent_exists_and_comes_first() {
        let divisions = all().unwrap_or_else(|e| panic!("{e}"));
        let mut seen = HashSet::new();
        for d in &divisions {
            if let Some(parent) = &d.parent {
                assert!(seen.contains(parent), "{} before its parent", d.code);
            }
            seen.insert(d.code.clone());
        }
    }
}
