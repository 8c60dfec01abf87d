//! The workflow handle shared by every request: the database, the access matrix, the
//! clock, deadlines and live changes, and who sees which request.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::RwLock;

use super::{
    Calendar, Clock, EventBus, WorkflowError,
    lifecycle::{Status, StepLimits},
    requests::{self, Request},
};
use crate::{
    auth::Principal,
    policy::{Policy, WorkRecord, sees_record},
    store::StoreError,
};

/// The village-services engine shared by every request.
#[derive(Clone)]
pub struct Workflow {
    pub db: DatabaseConnection,
    pub policy: Arc<Policy>,
    pub clock: Clock,
    pub limits: StepLimits,
    pub events: EventBus,
    /// Loaded on first use (and again after an import).
    calendar: Arc<RwLock<Option<Calendar>>>,
}

impl Workflow {
    pub fn new(
        db: DatabaseConnection,
        policy: Arc<Policy>,
        clock: Clock,
        limits: StepLimits,
    ) -> Self {
        Self {
            db,
            policy,
            clock,
            limits,
            events: EventBus::default(),
            calendar: Arc::new(RwLock::new(None)),
        }
    }

    /// Rereads the calendar (after an import).
    pub async fn reload_calendar(&self) -> Result<(), StoreError> {
        let fresh = Calendar::load(&self.db).await?;
        *self.calendar.write().await = Some(fresh);
        Ok(())
    }

    /// The deadline of the step a request enters with `status`.
    pub(super) async fn due(
        &self,
        status: Status,
        item_limit: u32,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let Some(days) = self.limits.days(status, item_limit) else {
            return Ok(None);
        };
        if self.calendar.read().await.is_none() {
            self.reload_calendar().await?;
        }
        let calendar = self.calendar.read().await;
        Ok(calendar
            .as_ref()
            .map(|c| c.deadline(self.clock.now(), days)))
    }

    /// Whether `principal` sees `request` (a request outside it answers like a missing one).
    pub fn sees(
        &self,
        principal: &Principal,
        request: &Request,
        own_resident: Option<&str>,
    ) -> bool {
        let record = WorkRecord {
            village_code: &request.village_code,
            resident_id: &request.resident_id,
            department: request.department,
        };
        let scope = self.policy.work(principal.role).records;
        sees_record(principal, scope, own_resident, &record)
    }

    /// A request as an earlier attempt left it.
    pub(super) async fn request_replay(&self, id: &str) -> Result<Request, WorkflowError> {
        requests::find(&self.db, id)
            .await?
            .ok_or(WorkflowError::NotFound("service request"))
    }
}
