//! Schema migrations, shared by SQLite and PostgreSQL. Enums are stored as strings so that
//! both backends run the same statements.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_region;
mod m20261128_000002_create_audit_record;
mod m20261128_000003_create_resident_index;
mod m20261128_000004_create_alerts;
mod m20261128_000005_create_audit_checkpoint;
mod m20261128_000006_create_village_services;
mod m20261128_000007_visit_fingerprint;
mod m20261130_000001_resident_lookup_key_version;
mod m20261130_000002_create_statistics;
mod m20261130_000003_alert_found_at;
mod m20261130_000004_rollup_day_period;
mod m20261130_000009_create_screening_item;
mod m20261130_000020_create_request_rating;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_region::Migration),
            Box::new(m20261128_000002_create_audit_record::Migration),
            Box::new(m20261128_000003_create_resident_index::Migration),
            Box::new(m20261128_000004_create_alerts::Migration),
            Box::new(m20261128_000005_create_audit_checkpoint::Migration),
            Box::new(m20261128_000006_create_village_services::Migration),
            Box::new(m20261128_000007_visit_fingerprint::Migration),
            Box::new(m20261130_000001_resident_lookup_key_version::Migration),
            Box::new(m20261130_000002_create_statistics::Migration),
            Box::new(m20261130_000003_alert_found_at::Migration),
            Box::new(m20261130_000004_rollup_day_period::Migration),
            Box::new(m20261130_000009_create_screening_item::Migration),
            Box::new(m20261130_000020_create_request_rating::Migration),
        ]
    }
}
