//! Where ID numbers are issued: each village's address code and its share of the 3-digit
//! sequence space, computed from the whole division tree so that a sub-scope issues the
//! same numbers as the province run.
//!
//! Every village issuing under one address code gets a slot; the 499 sequence pairs of a
//! (code, birth date) are shared out between the slots, so two villages never issue the
//! same number, and within a village a birth date has `capacity` numbers per sex.

use std::collections::HashMap;

use crate::domain::divisions::Division;
use crate::domain::{RegionCode, RegionLevel};

/// Counties whose GB/T 2260 code changed: (today's code, former code, year of change).
/// People registered before the change mostly carry the former code for life.
pub const FORMER_CODES: [(&str, &str, i32); 4] = [
    ("220184", "220381", 2020), // 公主岭市 moved from 四平 to 长春
    ("220113", "220181", 2014), // 九台市 became 九台区
    ("220605", "220625", 2006), // 江源县 became 江源区
    ("220781", "220724", 2013), // 扶余县 became 扶余市
];

/// How a village issues numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuePlan {
    /// Today's county code (a real county, never a development zone).
    pub address: String,
    /// The former code and the year it was replaced, if any.
    pub former: Option<(&'static str, i32)>,
    pub slot: u16,
    /// Sequence numbers per sex and birth date available to this village (≥ 1).
    pub capacity: u16,
}

impl IssuePlan {
    /// The sequence number for the `nth` (0-based, < capacity) person of a sex born on a
    /// date; odd for men.
    pub fn sequence(&self, nth: u16, male: bool) -> u16 {
        let index = (u32::from(self.slot) * u32::from(self.capacity) + u32::from(nth)) % 499 + 1;
        let sequence = if male { index * 2 - 1 } else { index * 2 };
        u16::try_from(sequence).unwrap_or(1)
    }
}

/// Development zones issue under a real county of the same prefecture: the n-th zone
/// under the n-th ordinary county (they lie next to the city districts).
fn zone_hosts(divisions: &[Division]) -> HashMap<String, String> {
    let mut hosts = HashMap::new();
    let counties: Vec<&RegionCode> = divisions
        .iter()
        .filter(|d| d.level == RegionLevel::County)
        .map(|d| &d.code)
        .collect();
    for prefecture in divisions
        .iter()
        .filter(|d| d.level == RegionLevel::Prefecture)
    {
        let inside = counties.iter().filter(|c| prefecture.code.contains(c));
        let (zones, ordinary): (Vec<&&RegionCode>, Vec<&&RegionCode>) =
            inside.partition(|c| c.is_development_zone());
        for (n, zone) in zones.iter().enumerate() {
            if let Some(host) = ordinary.get(n % ordinary.len().max(1)) {
                hosts.insert(zone.to_string(), host.to_string());
            }
        }
    }
    hosts
}

/// The plan of every village and community of the province, by 12-digit code.
pub fn plans(divisions: &[Division]) -> HashMap<String, IssuePlan> {
    let hosts = zone_hosts(divisions);
    let mut by_address: HashMap<String, Vec<&RegionCode>> = HashMap::new();
    for d in divisions {
        if !matches!(d.level, RegionLevel::Village | RegionLevel::Community) {
            continue;
        }
        let county = &d.code.as_str()[..6];
        let address = hosts
            .get(county)
            .cloned()
            .unwrap_or_else(|| county.to_owned());
        by_address.entry(address).or_default().push(&d.code);
    }
    let mut plans = HashMap::new();
    for (address, villages) in by_address {
        let capacity = (499 / villages.len().max(1)).max(1) as u16;
        let former = FORMER_CODES
            .iter()
            .find(|(now, _, _)| *now == address)
            .map(|(_, old, year)| (*old, *year));
        for (slot, code) in villages.iter().enumerate() {
            plans.insert(
                code.to_string(),
                IssuePlan {
                    address: address.clone(),
                    former,
                    slot: slot as u16,
                    capacity,
                },
            );
        }
    }
    plans
}
