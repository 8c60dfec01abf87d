//! Signed heads of the access log: each row says "the chain ended at this record with
//! this hash", under an HMAC whose key is kept outside the database.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoint")]
pub struct Model {
    /// Consecutive from 1, assigned by the signer, so a deleted checkpoint leaves a gap.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The id of the newest audit record when the head was signed.
    pub head_id: i64,
    /// That record's hash.
    pub head_hash: String,
    pub signed_at: DateTimeUtc,
    /// Which version of the checkpoint key signed it.
    pub key_version: i32,
    /// HMAC-SHA256 (hex) over the id, head id, head hash, time and key version.
    pub mac: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
