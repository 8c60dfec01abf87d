//! Batches resident lookups of one request into one query.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_graphql::dataloader::{DataLoader, Loader};

use crate::store::{
    Database, StoreError,
    residents::{self, ResidentRecord},
};

/// Loads index records by resident id.
pub struct ResidentLoader {
    db: Database,
}

impl ResidentLoader {
    pub fn data_loader(db: Database) -> DataLoader<Self> {
        DataLoader::new(Self { db }, crate::telemetry::spawn).delay(Duration::from_micros(200))
    }
}

impl Loader<String> for ResidentLoader {
    type Value = Arc<ResidentRecord>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let found = residents::find_many(&self.db, keys)
            .await
            .map_err(Arc::new)?;
        Ok(found
            .into_iter()
            .map(|r| (r.id.clone(), Arc::new(r)))
            .collect())
    }
}
