//! A screening run split across hub instances. The run's villages become work items
//! (`screening_item`); every instance that takes part claims the next free village under
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two instances never wait on or take
//! the same item), screens it within its own share of each department, and marks it done
//! together with its findings in one transaction, if it still holds the lease. An instance
//! that dies leaves its village claimed until the lease expires; another instance claims
//! it then, so nothing is lost, and a late finisher whose lease was taken over commits
//! nothing. When no item is left the last instance closes the run with the items' counts.
//!
//! The sequential run ([`Screener::run`]) and a split run of the same region exclude each
//! other through the run row's lease.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entities::{screening_item, screening_run};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    Statement, sea_query::Expr,
};
use tracing::Instrument;

use super::{
    ScreenError, ScreenReport, Screener,
    findings::{self, RunRow},
    rules::RuleSettings,
    run::{RunOptions, write_village},
    village,
};
use crate::{
    domain::RegionCode,
    store::{coordination::lock_for_transaction, residents},
};

/// The run row's lease holder while a split run is going: no sequential run starts then.
const SPLIT_HOLDER: &str = "work items";

/// How long an instance that finds every remaining item claimed waits before it looks
/// again (for expired leases, or the end of the run).
const CLAIM_RETRY: Duration = Duration::from_millis(250);

impl Screener<'_> {
    /// Takes part in the split run of `region`: joins the run in progress, or starts one
    /// (a new generation) when the last one finished; returns when every village is done,
    /// by this instance or another.
    pub async fn run_split(
        &self,
        region: &RegionCode,
        options: &RunOptions,
    ) -> Result<ScreenReport, ScreenError> {
        let clock = Instant::now();
        let key = region.statistical();
        let holder = format!(
            "pid{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let (generation, resumed) = self.join_or_start(region, &key).await?;
        let lanes = self.lanes();
        let rules = RuleSettings {
            today: options
                .today
                .unwrap_or_else(|| chrono::Local::now().date_naive()),
            elderly_age: self.settings.elderly_age,
        };
        let request_id = format!("screening-{key}-{generation}");
        loop {
            let now = Utc::now();
            let Some(code) = claim(
                self.db,
                &key,
                generation,
                &holder,
                now + self.settings.lease,
                now,
            )
            .await?
            else {
                if remaining(self.db, &key, generation).await? == 0 {
                    break;
                }
                tokio::time::sleep(CLAIM_RETRY).await;
                continue;
            };
            let span = tracing::info_span!("screening.village", village = %code, split = true);
            async {
                let subjects = self.subjects(&code).await?;
                let (alerts, coverage) = village::screen(
                    self.departments,
                    &lanes,
                    &code,
                    &subjects,
                    &rules,
                    &request_id,
                )
                .await?;
                let now = Utc::now();
                let txn = crate::store::begin_writing(self.db).await?;
                // Marking the item done comes first: a lease taken over by another
                // instance stops this one before its findings land.
                if complete(&txn, &key, &code, &holder, subjects.len(), alerts.len()).await? {
                    write_village(&txn, &code, &alerts, &coverage, now).await?;
                    txn.commit().await?;
                } else {
                    tracing::info!(village = %code, "village taken over by another instance");
                }
                Ok::<_, ScreenError>(())
            }
            .instrument(span)
            .await?;
        }
        let row = self.finish(&key, generation).await?;
        let elapsed = clock.elapsed();
        let lanes = [&lanes.medical, &lanes.social, &lanes.civil, &lanes.police]
            .into_iter()
            .map(|lane| lane.report(elapsed))
            .collect();
        Ok(ScreenReport {
            region: region.to_string(),
            generation,
            resumed,
            finished: row.finished_at.is_some(),
            villages: row.villages as u64,
            residents: row.residents as u64,
            alerts: row.alerts as u64,
            elapsed,
            lanes,
        })
    }

    /// The generation to work on, and whether it was already going. Under the region's
    /// lock: one instance starts a generation, the others join it.
    async fn join_or_start(
        &self,
        region: &RegionCode,
        key: &str,
    ) -> Result<(i64, bool), ScreenError> {
        let now = Utc::now();
        let txn = crate::store::begin_writing(self.db).await?;
        lock_for_transaction(&txn, &format!("cunhub.screening.{key}")).await?;
        findings::ensure_run_row(&txn, key, now).await?;
        let row = findings::run_row(&txn, key)
            .await?
            .ok_or_else(|| ScreenError::LeaseLost(key.to_owned()))?;
        let split_going =
            row.finished_at.is_none() && row.lease_holder.as_deref() == Some(SPLIT_HOLDER);
        if split_going {
            txn.commit().await?;
            return Ok((row.generation, true));
        }
        if row.finished_at.is_none()
            && row.lease_holder.is_some()
            && row.lease_until.is_some_and(|until| until > now)
        {
            return Err(ScreenError::Leased {
                region: key.to_owned(),
                holder: row.lease_holder.unwrap_or_default(),
            });
        }
        let generation = row.generation + 1;
        screening_run::Entity::update_many()
            .col_expr(screening_run::Column::Generation, Expr::value(generation))
            .col_expr(
                screening_run::Column::LeaseHolder,
                Expr::value(SPLIT_HOLDER),
            )
            .col_expr(
                screening_run::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(screening_run::Column::StartedAt, Expr::value(now))
            .col_expr(
                screening_run::Column::FinishedAt,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                screening_run::Column::LastVillage,
                Expr::value(None::<String>),
            )
            .col_expr(screening_run::Column::Villages, Expr::value(0i64))
            .col_expr(screening_run::Column::Residents, Expr::value(0i64))
            .col_expr(screening_run::Column::Alerts, Expr::value(0i64))
            .filter(screening_run::Column::Region.eq(key))
            .exec(&txn)
            .await?;
        screening_item::Entity::delete_many()
            .filter(screening_item::Column::Region.eq(key))
            .exec(&txn)
            .await?;
        let villages = residents::villages(&txn, region.as_str(), None).await?;
        for chunk in villages.chunks(500) {
            let items = chunk.iter().map(|village| screening_item::ActiveModel {
                region: Set(key.to_owned()),
                village: Set(village.clone()),
                generation: Set(generation),
                holder: Set(None),
                lease_until: Set(None),
                done: Set(false),
                residents: Set(0),
                alerts: Set(0),
            });
            screening_item::Entity::insert_many(items)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        tracing::info!(region = %region, generation, villages = villages.len(), "split screening run started");
        Ok((generation, false))
    }

    /// Closes the run with its items' counts, unless another instance did.
    async fn finish(&self, key: &str, generation: i64) -> Result<RunRow, ScreenError> {
        let now = Utc::now();
        let txn = crate::store::begin_writing(self.db).await?;
        lock_for_transaction(&txn, &format!("cunhub.screening.{key}")).await?;
        let row = findings::run_row(&txn, key)
            .await?
            .ok_or_else(|| ScreenError::LeaseLost(key.to_owned()))?;
        if row.generation == generation && row.finished_at.is_none() {
            let items = screening_item::Entity::find()
                .filter(screening_item::Column::Region.eq(key))
                .filter(screening_item::Column::Generation.eq(generation))
                .all(&txn)
                .await?;
            screening_run::Entity::update_many()
                .col_expr(
                    screening_run::Column::LeaseHolder,
                    Expr::value(None::<String>),
                )
                .col_expr(screening_run::Column::FinishedAt, Expr::value(now))
                .col_expr(
                    screening_run::Column::LastVillage,
                    Expr::value(items.iter().map(|i| i.village.clone()).max()),
                )
                .col_expr(
                    screening_run::Column::Villages,
                    Expr::value(items.len() as i64),
                )
                .col_expr(
                    screening_run::Column::Residents,
                    Expr::value(items.iter().map(|i| i.residents).sum::<i64>()),
                )
                .col_expr(
                    screening_run::Column::Alerts,
                    Expr::value(items.iter().map(|i| i.alerts).sum::<i64>()),
                )
                .filter(screening_run::Column::Region.eq(key))
                .exec(&txn)
                .await?;
        }
        let row = findings::run_row(&txn, key)
            .await?
            .ok_or_else(|| ScreenError::LeaseLost(key.to_owned()))?;
        txn.commit().await?;
        Ok(row)
    }
}

/// Claims the first village of the run that is neither done nor leased (an expired lease
/// counts as free) for `holder` until `until`.
async fn claim(
    db: &impl ConnectionTrait,
    region: &str,
    generation: i64,
    holder: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<String>, ScreenError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE screening_item SET holder = $1, lease_until = $2 \
             WHERE region = $3 AND village = ( \
               SELECT village FROM screening_item \
               WHERE region = $3 AND generation = $4 AND NOT done \
                 AND (holder IS NULL OR lease_until < $5) \
               ORDER BY village LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING village"
        }
        // One process writes a SQLite file, and one write at a time.
        _ => {
            "UPDATE screening_item SET holder = ?1, lease_until = ?2 \
             WHERE region = ?3 AND village = ( \
               SELECT village FROM screening_item \
               WHERE region = ?3 AND generation = ?4 AND NOT done \
                 AND (holder IS NULL OR lease_until < ?5) \
               ORDER BY village LIMIT 1) \
             RETURNING village"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                holder.into(),
                until.into(),
                region.into(),
                generation.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<String>("", "village")?),
        None => None,
    })
}

/// Marks the village done with its counts, if `holder` still holds it.
async fn complete(
    db: &impl ConnectionTrait,
    region: &str,
    village: &str,
    holder: &str,
    residents: usize,
    alerts: usize,
) -> Result<bool, ScreenError> {
    let result = screening_item::Entity::update_many()
        .col_expr(screening_item::Column::Done, Expr::value(true))
        .col_expr(
            screening_item::Column::Residents,
            Expr::value(residents as i64),
        )
        .col_expr(screening_item::Column::Alerts, Expr::value(alerts as i64))
        .col_expr(
            screening_item::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(screening_item::Column::Region.eq(region))
        .filter(screening_item::Column::Village.eq(village))
        .filter(screening_item::Column::Holder.eq(holder))
        .filter(screening_item::Column::Done.eq(false))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Villages of the run not yet done.
async fn remaining(
    db: &impl ConnectionTrait,
    region: &str,
    generation: i64,
) -> Result<u64, ScreenError> {
    use sea_orm::PaginatorTrait;
    Ok(screening_item::Entity::find()
        .filter(screening_item::Column::Region.eq(region))
        .filter(screening_item::Column::Generation.eq(generation))
        .filter(screening_item::Column::Done.eq(false))
        .count(db)
        .await?)
}
