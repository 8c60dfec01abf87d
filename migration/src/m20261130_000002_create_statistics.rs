//! Rollups (counts per village, source, indicator and period, never facts about persons)
//! and the published snapshots of the dashboard, with their suppression.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VillageRollup {
    Table,
    VillageCode,
    Source,
    Metric,
    Period,
    Value,
    ComputedAt,
}

#[derive(DeriveIden)]
enum StatSnapshot {
    Table,
    Id,
    TakenAt,
    Threshold,
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VillageRollup::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(VillageRollup::VillageCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VillageRollup::Source)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VillageRollup::Metric)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VillageRollup::Period)
                            .string_len(7)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VillageRollup::Value)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VillageRollup::ComputedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(VillageRollup::VillageCode)
                            .col(VillageRollup::Source)
                            .col(VillageRollup::Metric)
                            .col(VillageRollup::Period),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatSnapshot::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(StatSnapshot::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StatSnapshot::TakenAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(StatSnapshot::Threshold).integer().not_null())
                    .col(ColumnDef::new(StatSnapshot::Body).text().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StatSnapshot::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(VillageRollup::Table).to_owned())
            .await
    }
}
