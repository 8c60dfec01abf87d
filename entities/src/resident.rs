//! The resident index: who lives where, synchronised from household registration. The ID
//! number is only here sealed, and found by its keyed hash.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resident")]
pub struct Model {
    /// Random, assigned when the person first enters the index and kept across every
    /// re-synchronisation and key rotation; it reveals nothing about the ID number.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    /// Keyed hash of the ID number under lookup key `lookup_key_version`.
    pub lookup_hash: String,
    pub id_cipher: String,
    /// The encryption key version `id_cipher` is sealed with.
    pub key_version: i32,
    pub name: String,
    /// GB/T 2261.1 code.
    pub sex: String,
    pub birth_date: Date,
    /// GB 3304 code.
    pub ethnicity: String,
    /// 12-digit code of the village or community of registration.
    pub village_code: String,
    pub household_number: String,
    /// GB/T 4761 code.
    pub relationship: String,
    /// `normal`, `moved_out` or `deceased`.
    pub status: String,
    pub death_date: Option<Date>,
    /// Hash of the synchronised fields, to tell a changed record from an unchanged one.
    pub content_hash: String,
    /// The synchronisation run that last saw this resident.
    pub sync_generation: i64,
    pub synced_at: DateTimeUtc,
    pub lookup_key_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
