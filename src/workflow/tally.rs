//! The village's service-request and visit counts for the dashboard, recomputed from the
//! village's own rows inside the transaction that changed one of them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{service_request, visit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    statistics::rollup::{self, Count, Source},
    store::StoreError,
};

/// Recomputes the request counts of `village`: per month opened, how many were opened,
/// and of those how many now stand resolved by the township, were routed to a
/// department, are resolved, returned or rejected, and were escalated; per department
/// (all time) how many were routed to it and how many of those missed a deadline.
pub async fn requests(
    db: &impl ConnectionTrait,
    village: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(DateTime<Utc>, String, Option<String>, i32)> = service_request::Entity::find()
        .select_only()
        .column(service_request::Column::CreatedAt)
        .column(service_request::Column::Status)
        .column(service_request::Column::Department)
        .column(service_request::Column::Escalations)
        .filter(service_request::Column::VillageCode.eq(village))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut add = |metric: &str, period: &str| {
        *counts
            .entry((metric.to_owned(), period.to_owned()))
            .or_default() += 1;
    };
    for (created, status, department, escalations) in &rows {
        let month = created.format("%Y-%m").to_string();
        add("opened", &month);
        match status.as_str() {
            "RESOLVED_BY_TOWNSHIP" => add("resolved_by_township", &month),
            "RESOLVED" => add("resolved", &month),
            "RETURNED" => add("returned", &month),
            "REJECTED" => add("rejected", &month),
            _ => {}
        }
        if *escalations > 0 {
            add("escalated", &month);
        }
        if let Some(department) = department {
            add("routed", &month);
            add(&format!("routed.{department}"), "");
            if *escalations > 0 {
                add(&format!("late.{department}"), "");
            }
        }
    }
    let counts: Vec<Count> = counts
        .into_iter()
        .map(|((metric, period), value)| Count::in_month(metric, period, value))
        .collect();
    rollup::replace(db, village, Source::Requests, &counts, now).await
}

/// Recomputes the visit counts of `village`: visits per month, and per key group.
pub async fn visits(
    db: &impl ConnectionTrait,
    village: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(NaiveDate, String)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::VisitedOn)
        .column(visit::Column::Kind)
        .filter(visit::Column::VillageCode.eq(village))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (day, kind) in &rows {
        *counts
            .entry(("visits".to_owned(), day.format("%Y-%m").to_string()))
            .or_default() += 1;
        *counts
            .entry((format!("visits.{kind}"), String::new()))
            .or_default() += 1;
    }
    let counts: Vec<Count> = counts
        .into_iter()
        .map(|((metric, period), value)| Count::in_month(metric, period, value))
        .collect();
    rollup::replace(db, village, Source::Visits, &counts, now).await
}

/// Recomputes the rating counts of `village`, all time: how many were rated and at which
/// level, and per department the request was routed to and per catalogue item how many
/// were rated, rated satisfied (the three upper levels) and dissatisfied (the two lower).
pub async fn ratings(
    db: &impl ConnectionTrait,
    village: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut add = |metric: String| *counts.entry(metric).or_default() += 1;
    for (level, department, item) in super::ratings::counted_in(db, village).await? {
        let verdict = match super::ratings::Level::parse(&level) {
            Some(level) if level.is_poor() => "dissatisfied",
            _ => "satisfied",
        };
        add("rated".to_owned());
        add(level);
        if let Some(department) = department {
            add(format!("rated.{department}"));
            add(format!("{verdict}.{department}"));
        }
        add(format!("rated.item.{item}"));
        add(format!("{verdict}.item.{item}"));
    }
    let counts: Vec<Count> = counts
        .into_iter()
        .map(|(metric, value)| Count::now(metric, value))
        .collect();
    rollup::replace(db, village, Source::Satisfaction, &counts, now).await
}
