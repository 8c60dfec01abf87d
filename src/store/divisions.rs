//! Loads the shipped division tree into `region`, idempotently. Owns the table `region`
//! (the only writer; [`super::regions`] reads it).

use entities::region;
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait, sea_query::OnConflict,
};

use super::StoreError;
use crate::domain::divisions;

// Four parameters a row: well under the 32,766 SQLite and 65,535 PostgreSQL allow.
const BATCH: usize = 4_000;

/// Inserts every shipped division the table lacks; returns how many were added. A table
/// that already holds them all is left untouched, so running it again is free.
pub async fn ensure_loaded(db: &DatabaseConnection) -> Result<u64, StoreError> {
    let all = divisions::all().map_err(|err| StoreError::Data(err.to_string()))?;
    let present = region::Entity::find().count(db).await?;
    if present as usize >= all.len() {
        return Ok(0);
    }
    let txn = super::begin_writing(db).await?;
    for chunk in all.chunks(BATCH) {
        let rows = chunk.iter().map(|d| region::ActiveModel {
            code: Set(d.code.statistical()),
            name: Set(d.name.clone()),
            level: Set(d.level.as_str().to_owned()),
            parent_code: Set(d.parent.as_ref().map(|p| p.statistical())),
        });
        region::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(region::Column::Code)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    let after = region::Entity::find().count(db).await?;
    Ok(after.saturating_sub(present))
}
