//! Batches region lookups of one request (parents, ancestors) into one query.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_graphql::dataloader::{DataLoader, Loader};

use crate::{
    domain::{RegionCode, divisions::Division},
    store::{Database, StoreError, regions},
};

/// Loads regions by code.
pub struct RegionLoader {
    db: Database,
}

impl RegionLoader {
    /// A loader for one request. The short delay lets one level of a page gather its
    /// keys before the query runs.
    pub fn data_loader(db: Database) -> DataLoader<Self> {
        DataLoader::new(Self { db }, crate::telemetry::spawn).delay(Duration::from_micros(200))
    }
}

impl Loader<RegionCode> for RegionLoader {
    type Value = Division;
    type Error = Arc<StoreError>;

    async fn load(
        &self,
        keys: &[RegionCode],
    ) -> Result<HashMap<RegionCode, Division>, Self::Error> {
        let found = regions::find_many(&self.db, keys).await.map_err(Arc::new)?;
        Ok(found.into_iter().map(|d| (d.code.clone(), d)).collect())
    }
}
