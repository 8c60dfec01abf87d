//! A rollup's period may be a day (`YYYY-MM-DD`: the day a key group's residents were last
//! visited), not only a month. Widening the column is compatible with the previous
//! version; SQLite does not enforce the length, so only PostgreSQL is altered.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VillageRollup {
    Table,
    Period,
}

async fn period_length(manager: &SchemaManager<'_>, length: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .alter_table(
            Table::alter()
                .table(VillageRollup::Table)
                .modify_column(
                    ColumnDef::new(VillageRollup::Period)
                        .string_len(length)
                        .not_null(),
                )
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        period_length(manager, 10).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        period_length(manager, 7).await
    }
}
