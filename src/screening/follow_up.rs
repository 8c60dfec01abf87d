//! Alert follow-up in the hub's tables: what the village or township did about a stored
//! alert. A screening run replaces its findings wholesale, so the follow-up lives apart,
//! keyed by the alert's stable id, and holds the facts it was decided on: a dismissal
//! (a false positive) stands only while the alert's facts stay the same. Owns the table
//! `alert_follow_up` (village services write it through [`write`] when they turn an alert
//! into a service request).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::{alert, alert_follow_up};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    TryInsertResult,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::{
    statistics::rollup::{self, Count, Source},
    store::StoreError,
};

/// Where an alert stands with the people who follow it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowUpState {
    /// Nobody has acted on it yet (or a dismissal lapsed because its facts changed).
    Open,
    Acknowledged,
    /// A false positive, while its facts stay the same.
    Dismissed,
    RequestOpened,
}

impl FollowUpState {
    pub const ALL: [FollowUpState; 4] = [
        Self::Open,
        Self::Acknowledged,
        Self::Dismissed,
        Self::RequestOpened,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Acknowledged => "ACKNOWLEDGED",
            Self::Dismissed => "DISMISSED",
            Self::RequestOpened => "REQUEST_OPENED",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The follow-up of one alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub alert_id: String,
    pub resident_id: String,
    pub village_code: String,
    pub kind: String,
    pub state: FollowUpState,
    /// The alert's facts (as stored JSON) when it was followed up.
    pub facts: String,
    /// The note of an acknowledgement, or the reason of a dismissal.
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub actor_subject: String,
    pub at: DateTime<Utc>,
    /// When the alert was first found: the handling took from then to `at`.
    pub found_at: Option<DateTime<Utc>>,
}

impl FollowUp {
    /// Where the alert stands now that its facts are `current_facts`.
    pub fn state_for(&self, current_facts: &str) -> FollowUpState {
        if self.state == FollowUpState::Dismissed && self.facts != current_facts {
            FollowUpState::Open
        } else {
            self.state
        }
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    alert_id: &str,
) -> Result<Option<FollowUp>, StoreError> {
    alert_follow_up::Entity::find_by_id(alert_id.to_owned())
        .one(db)
        .await?
        .map(to_follow_up)
        .transpose()
}

/// The follow-ups of the alerts `ids` (those that have one).
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<Vec<FollowUp>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    alert_follow_up::Entity::find()
        .filter(alert_follow_up::Column::AlertId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(to_follow_up)
        .collect()
}

/// Writes `next` if the alert's follow-up is still `previous` (none, or the same state on
/// the same facts); says whether it was written. The conditional write is the first
/// statement of its transaction, so of two people acting at once only one wins.
pub async fn write(
    db: &impl ConnectionTrait,
    next: &FollowUp,
    previous: Option<&FollowUp>,
) -> Result<bool, StoreError> {
    let row = alert_follow_up::Model {
        alert_id: next.alert_id.clone(),
        resident_id: next.resident_id.clone(),
        village_code: next.village_code.clone(),
        kind: next.kind.clone(),
        state: next.state.code().to_owned(),
        facts: next.facts.clone(),
        reason: next.reason.clone(),
        request_id: next.request_id.clone(),
        actor_subject: next.actor_subject.clone(),
        at: next.at,
        found_at: next.found_at,
    };
    let Some(previous) = previous else {
        let result = alert_follow_up::Entity::insert(alert_follow_up::ActiveModel::from(row))
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
        let written = matches!(result, TryInsertResult::Inserted(n) if n > 0);
        if written {
            tally(db, &next.village_code, next.at).await?;
        }
        return Ok(written);
    };
    let result = alert_follow_up::Entity::update_many()
        .col_expr(
            alert_follow_up::Column::ResidentId,
            Expr::value(row.resident_id),
        )
        .col_expr(
            alert_follow_up::Column::VillageCode,
            Expr::value(row.village_code),
        )
        .col_expr(alert_follow_up::Column::State, Expr::value(row.state))
        .col_expr(alert_follow_up::Column::Facts, Expr::value(row.facts))
        .col_expr(alert_follow_up::Column::Reason, Expr::value(row.reason))
        .col_expr(
            alert_follow_up::Column::RequestId,
            Expr::value(row.request_id),
        )
        .col_expr(
            alert_follow_up::Column::ActorSubject,
            Expr::value(row.actor_subject),
        )
        .col_expr(alert_follow_up::Column::At, Expr::value(row.at))
        .col_expr(alert_follow_up::Column::FoundAt, Expr::value(row.found_at))
        .filter(alert_follow_up::Column::AlertId.eq(previous.alert_id.as_str()))
        .filter(alert_follow_up::Column::State.eq(previous.state.code()))
        .filter(alert_follow_up::Column::Facts.eq(previous.facts.as_str()))
        .exec(db)
        .await?;
    let written = result.rows_affected == 1;
    if written {
        tally(db, &next.village_code, next.at).await?;
    }
    Ok(written)
}

/// `EXISTS` a follow-up of the outer query's alert meeting `extra`.
fn follow_up_exists(extra: Condition) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(alert_follow_up::Entity)
            .and_where(
                Expr::col((alert_follow_up::Entity, alert_follow_up::Column::AlertId))
                    .equals((alert::Entity, alert::Column::Id)),
            )
            .cond_where(extra)
            .to_owned(),
    )
}

/// The follow-up's facts are the alert's current facts.
fn same_facts() -> Expr {
    Expr::col((alert_follow_up::Entity, alert_follow_up::Column::Facts))
        .equals((alert::Entity, alert::Column::Facts))
}

/// The condition on `alert` rows "dismissed, and the facts unchanged since".
pub fn dismissed() -> Expr {
    follow_up_exists(
        Condition::all()
            .add(alert_follow_up::Column::State.eq(FollowUpState::Dismissed.code()))
            .add(same_facts()),
    )
}

/// The condition on `alert` rows "in one of `states`"; no states: every alert but the
/// dismissed ones (the default of a listing).
pub fn in_states(states: &[FollowUpState]) -> Condition {
    if states.is_empty() {
        return Condition::all().add(dismissed().not());
    }
    let mut any = Condition::any();
    for state in states {
        any = any.add(match state {
            FollowUpState::Open => follow_up_exists(
                Condition::any()
                    .add(alert_follow_up::Column::State.ne(FollowUpState::Dismissed.code()))
                    .add(same_facts()),
            )
            .not(),
            FollowUpState::Dismissed => dismissed(),
            other => follow_up_exists(
                Condition::all().add(alert_follow_up::Column::State.eq(other.code())),
            ),
        });
    }
    any
}

/// The condition on `alert` rows "found by a run, or followed up, at or after `since`".
pub fn changed_since(since: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(alert::Column::ScreenedAt.gte(since))
        .add(follow_up_exists(
            Condition::all().add(alert_follow_up::Column::At.gte(since)),
        ))
}

fn to_follow_up(row: alert_follow_up::Model) -> Result<FollowUp, StoreError> {
    let state = FollowUpState::parse(&row.state)
        .filter(|s| *s != FollowUpState::Open)
        .ok_or_else(|| StoreError::Data(format!("follow-up {}: bad state", row.alert_id)))?;
    Ok(FollowUp {
        alert_id: row.alert_id,
        resident_id: row.resident_id,
        village_code: row.village_code,
        kind: row.kind,
        state,
        facts: row.facts,
        reason: row.reason,
        request_id: row.request_id,
        actor_subject: row.actor_subject,
        at: row.at,
        found_at: row.found_at,
    })
}

/// Recomputes the alert-handling counts of `village` for the dashboard from its
/// follow-ups: per month handled, how many were acknowledged, dismissed or turned into a
/// request (by their state now), and the days each took from first found to handled.
pub async fn tally(
    db: &impl ConnectionTrait,
    village: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = alert_follow_up::Entity::find()
        .select_only()
        .column(alert_follow_up::Column::State)
        .column(alert_follow_up::Column::At)
        .column(alert_follow_up::Column::FoundAt)
        .filter(alert_follow_up::Column::VillageCode.eq(village))
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (state, at, found_at) in &rows {
        let month = rollup::month_of(*at);
        *counts.entry(("handled".into(), month.clone())).or_default() += 1;
        *counts
            .entry((format!("handled.{state}"), month.clone()))
            .or_default() += 1;
        if let Some(found) = found_at {
            let days = std::cmp::max((*at - *found).num_days(), 0);
            *counts
                .entry((format!("{}{days}", rollup::DAYS_TO_HANDLE), month))
                .or_default() += 1;
        }
    }
    let counts: Vec<Count> = counts
        .into_iter()
        .map(|((metric, period), n)| Count::in_month(metric, period, n))
        .collect();
    rollup::replace(db, village, Source::AlertHandling, &counts, now).await
}
