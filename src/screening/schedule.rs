//! Runs in the background: the schedule of `serve` and the demo's run after its sync.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{RunOptions, ScreenReport, Screener, ScreeningSettings, summary};
use crate::{
    adapters::{Departments, DepartmentsSettings},
    domain::RegionCode,
    store::{coordination::Leadership, id_vault::IdVault},
};

/// What a background run needs, owned.
#[derive(Clone)]
pub struct Background {
    pub db: DatabaseConnection,
    pub vault: Arc<IdVault>,
    /// Shared with the interactive requests in `serve`, so the share is of one pool.
    pub departments: Arc<Departments>,
    pub department_settings: DepartmentsSettings,
    pub settings: ScreeningSettings,
}

impl Background {
    /// One run of `region`, to its end (resuming an interrupted one).
    pub async fn run_once(&self, region: &RegionCode) -> Result<ScreenReport, super::ScreenError> {
        // The run spends the same department budgets as the requests, which come first:
        // it may take every place a department allows, and each request still gets the
        // next one to free. (`share` holds back a run that cannot see the requests.)
        let settings = ScreeningSettings {
            share: 1.0,
            ..self.settings.clone()
        };
        let screener = Screener {
            db: &self.db,
            vault: &self.vault,
            departments: &self.departments,
            department_settings: &self.department_settings,
            settings: &settings,
        };
        screener.run(region, &RunOptions::default(), |_| {}).await
    }

    /// Screens the configured region every `interval`, from now, on the instance that
    /// leads the scheduled jobs; a failed run is logged and tried again at the next tick
    /// (it resumes where it stopped).
    pub async fn every_interval(self, leadership: Leadership) {
        let Ok(region) = RegionCode::parse(&self.settings.region) else {
            return;
        };
        let mut ticks = tokio::time::interval(self.settings.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !leadership.take_turn("screening") {
                continue;
            }
            match self.run_once(&region).await {
                Ok(report) => tracing::info!("screening run finished\n{}", summary(&report)),
                Err(err) => tracing::warn!(region = %region, error = %err, "screening run stopped"),
            }
        }
    }
}
