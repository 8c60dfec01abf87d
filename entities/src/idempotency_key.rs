//! A mutation already carried out under a caller's idempotency key, so that a retried call
//! returns its first result instead of acting twice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    /// The token subject: keys are the caller's own namespace.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub operation: String,
    /// SHA-256 of the operation's input: the same key with another input is refused.
    pub fingerprint: String,
    /// The id of what the first call produced or changed.
    pub result_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
