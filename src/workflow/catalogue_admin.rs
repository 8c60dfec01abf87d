//! Changing the catalogue: an admin adds or retires items issued within their region.

use super::{
    Workflow, WorkflowError,
    catalogue::{self, Item, NewItem},
};
use crate::{
    auth::Principal,
    policy::WorkAction,
    store::idempotency::{self, Attempt, Done},
};

impl Workflow {
    /// Adds a catalogue item issued within the admin's region.
    pub async fn add_item(
        &self,
        principal: &Principal,
        item: NewItem,
        idempotency_key: &str,
    ) -> Result<Done<Item>, WorkflowError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "addCatalogueItem",
            &format!("{item:?}"),
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |code| async move { self.item_replay(&code).await },
            self.add_item_once(principal, item, &attempt),
        )
        .await
    }

    async fn add_item_once(
        &self,
        principal: &Principal,
        item: NewItem,
        attempt: &Attempt,
    ) -> Result<Item, WorkflowError> {
        self.check_catalogue_manager(principal, &item.region)?;
        item.check()?;
        let now = self.clock.now();
        let txn = crate::store::begin_writing(&self.db).await?;
        let added = catalogue::insert(&txn, &item, false, now).await?;
        if !added {
            return Err(WorkflowError::BadInput(
                "code",
                format!("the code {} is taken", item.code),
            ));
        }
        attempt.record(&txn, &item.code, now).await?;
        txn.commit().await?;
        self.item_replay(&item.code).await
    }

    /// Retires a catalogue item issued within the admin's region.
    pub async fn retire_item(
        &self,
        principal: &Principal,
        code: &str,
        idempotency_key: &str,
    ) -> Result<Done<Item>, WorkflowError> {
        let attempt = Attempt::new(
            &principal.subject,
            idempotency_key,
            "retireCatalogueItem",
            code,
        )?;
        idempotency::once(
            &self.db,
            &attempt,
            |code| async move { self.item_replay(&code).await },
            self.retire_item_once(principal, code, &attempt),
        )
        .await
    }

    async fn retire_item_once(
        &self,
        principal: &Principal,
        code: &str,
        attempt: &Attempt,
    ) -> Result<Item, WorkflowError> {
        let item = catalogue::find(&self.db, code)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        self.check_catalogue_manager(principal, &item.region)?;
        let now = self.clock.now();
        let txn = crate::store::begin_writing(&self.db).await?;
        let retired = catalogue::retire(&txn, code, now)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))?;
        attempt.record(&txn, code, now).await?;
        txn.commit().await?;
        Ok(retired)
    }

    fn check_catalogue_manager(
        &self,
        principal: &Principal,
        issuer: &str,
    ) -> Result<(), WorkflowError> {
        if !self.policy.may(principal.role, WorkAction::ManageCatalogue) {
            return Err(WorkflowError::Forbidden(format!(
                "the role `{}` cannot change the catalogue",
                principal.role
            )));
        }
        if !issuer.starts_with(principal.region.as_str()) {
            return Err(WorkflowError::Forbidden(format!(
                "items issued by {issuer} are outside your region {}",
                principal.region
            )));
        }
        Ok(())
    }

    /// A catalogue item as it now stands.
    async fn item_replay(&self, code: &str) -> Result<Item, WorkflowError> {
        catalogue::find(&self.db, code)
            .await?
            .ok_or(WorkflowError::NotFound("catalogue item"))
    }
}
