//! The village's service-request and visit counts for the dashboard, recomputed from the
//! village's own rows inside the transaction that changed one of them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entities::{request_event, service_request, visit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{calendar::Calendar, clock::CHINA, lifecycle::Status};
use crate::{
    statistics::rollup::{self, Count, DAYS_TO_RESOLVE, LAST_VISIT, Source, month_of},
    store::StoreError,
};

/// Counts keyed by `(metric, period)`.
#[derive(Default)]
struct Counts(BTreeMap<(String, String), i64>);

impl Counts {
    fn add(&mut self, metric: impl Into<String>, period: &str) {
        *self
            .0
            .entry((metric.into(), period.to_owned()))
            .or_default() += 1;
    }

    fn into_vec(self) -> Vec<Count> {
        self.0
            .into_iter()
            .map(|((metric, period), value)| Count::in_month(metric, period, value))
            .collect()
    }
}

/// An event as the step counts read it: request, kind, status after it, when, deadline
/// of the step it began.
type EventRow = (String, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// One request of the village as the counts need it.
struct RequestRow {
    id: String,
    created_at: DateTime<Utc>,
    status: String,
    department: Option<String>,
    catalogue_code: String,
    escalations: i32,
}

/// Recomputes the request counts of `village`, each in the month the request was opened:
/// how many were opened, and of those how many now stand resolved by the township, were
/// routed to a department, are resolved, returned or rejected, and were escalated, in all,
/// per department and per catalogue item. Then, in the month each happened: the steps
/// answered per level, on time or late against their working-day deadline, and the
/// working days from opening to resolution of each resolved request.
pub async fn requests(
    db: &impl ConnectionTrait,
    village: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<RequestRow> = service_request::Entity::find()
        .select_only()
        .column(service_request::Column::Id)
        .column(service_request::Column::CreatedAt)
        .column(service_request::Column::Status)
        .column(service_request::Column::Department)
        .column(service_request::Column::CatalogueCode)
        .column(service_request::Column::Escalations)
        .filter(service_request::Column::VillageCode.eq(village))
        .into_tuple::<(String, DateTime<Utc>, String, Option<String>, String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(
            |(id, created_at, status, department, catalogue_code, escalations)| RequestRow {
                id,
                created_at,
                status,
                department,
                catalogue_code,
                escalations,
            },
        )
        .collect();
    let mut counts = Counts::default();
    for request in &rows {
        let opened = month_of(request.created_at);
        let item = &request.catalogue_code;
        counts.add("opened", &opened);
        counts.add(format!("item.opened.{item}"), &opened);
        match request.status.as_str() {
            "RESOLVED_BY_TOWNSHIP" => counts.add("resolved_by_township", &opened),
            "RESOLVED" => {
                counts.add("resolved", &opened);
                counts.add(format!("item.resolved.{item}"), &opened);
            }
            "RETURNED" => counts.add("returned", &opened),
            "REJECTED" => counts.add("rejected", &opened),
            _ => {}
        }
        // Late or in time, each a count of its own: a share is published as its two
        // parts, so that a small difference is a cell suppression sees.
        let verdict = if request.escalations > 0 {
            "late"
        } else {
            "in_time"
        };
        if request.escalations > 0 {
            counts.add("escalated", &opened);
        }
        counts.add(format!("item.{verdict}.{item}"), &opened);
        if let Some(department) = &request.department {
            counts.add("routed", &opened);
            counts.add(format!("routed.{department}"), &opened);
            counts.add(format!("{verdict}.{department}"), &opened);
        }
    }
    count_steps(db, &rows, &mut counts).await?;
    rollup::replace(db, village, Source::Requests, &counts.into_vec(), now).await
}

/// Steps answered, from the requests' events: an event that set a deadline starts a step
/// of the level whose turn it then was; the next event that is not an escalation answers
/// it. Steps still waiting are not counted until answered.
async fn count_steps(
    db: &impl ConnectionTrait,
    requests: &[RequestRow],
    counts: &mut Counts,
) -> Result<(), StoreError> {
    if requests.is_empty() {
        return Ok(());
    }
    let by_id: HashMap<&str, &RequestRow> = requests.iter().map(|r| (r.id.as_str(), r)).collect();
    let events: Vec<EventRow> = request_event::Entity::find()
        .select_only()
        .column(request_event::Column::RequestId)
        .column(request_event::Column::Kind)
        .column(request_event::Column::Status)
        .column(request_event::Column::At)
        .column(request_event::Column::Due)
        .filter(request_event::Column::RequestId.is_in(by_id.keys().copied()))
        .order_by_asc(request_event::Column::RequestId)
        .order_by_asc(request_event::Column::Seq)
        .into_tuple()
        .all(db)
        .await?;
    // Only resolutions are counted in working days: most changes need no calendar.
    let calendar = if events.iter().any(|(_, kind, ..)| kind == "RESOLVED") {
        Calendar::load(db).await?
    } else {
        Calendar::default()
    };
    // The step waiting for an answer on the request being read: its level and deadline.
    let mut waiting: Option<(&str, &'static str, DateTime<Utc>)> = None;
    for (request_id, kind, status, at, due) in &events {
        if kind == "ESCALATED" {
            continue;
        }
        if let Some((of, level, deadline)) = waiting.take()
            && of == request_id.as_str()
        {
            let answered = month_of(*at);
            let on_time = *at <= deadline;
            counts.add(format!("steps.{level}"), &answered);
            let verdict = if on_time { "on_time" } else { "late" };
            counts.add(format!("steps_{verdict}.{level}"), &answered);
            if level == "department"
                && let Some(department) = by_id
                    .get(request_id.as_str())
                    .and_then(|r| r.department.as_ref())
            {
                counts.add(
                    format!("steps_{verdict}.department.{department}"),
                    &answered,
                );
            }
        }
        if kind == "RESOLVED"
            && let Some(request) = by_id.get(request_id.as_str())
        {
            let days = calendar.working_days_between(
                request.created_at.with_timezone(&CHINA).date_naive(),
                at.with_timezone(&CHINA).date_naive(),
            );
            counts.add(format!("{DAYS_TO_RESOLVE}{days}"), &month_of(*at));
        }
        let level = Status::parse(status).and_then(Status::next_actor);
        if let (Some(level), Some(due)) = (level, due) {
            waiting = Some((request_id.as_str(), level.as_str(), *due));
        }
    }
    Ok(())
}

/// Recomputes the visit counts of `village`: visits per month, and for each key group the
/// number of residents whose last visit as its member fell on each day.
pub async fn visits(
    db: &impl ConnectionTrait,
    village: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(String, NaiveDate, String)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::ResidentId)
        .column(visit::Column::VisitedOn)
        .column(visit::Column::Kind)
        .filter(visit::Column::VillageCode.eq(village))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = Counts::default();
    let mut last: HashMap<(&str, &str), NaiveDate> = HashMap::new();
    for (resident, day, group) in &rows {
        counts.add("visits", &day.format("%Y-%m").to_string());
        let seen = last
            .entry((resident.as_str(), group.as_str()))
            .or_insert(*day);
        *seen = (*seen).max(*day);
    }
    for ((_, group), day) in last {
        counts.add(
            format!("{LAST_VISIT}{group}"),
            &day.format("%Y-%m-%d").to_string(),
        );
    }
    rollup::replace(db, village, Source::Visits, &counts.into_vec(), now).await
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
