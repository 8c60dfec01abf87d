//! Work items of screening runs split across instances (an expand: a new table).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScreeningItem {
    Table,
    Region,
    Village,
    Generation,
    Holder,
    LeaseUntil,
    Done,
    Residents,
    Alerts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScreeningItem::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ScreeningItem::Region)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningItem::Village)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningItem::Generation)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ScreeningItem::Holder).string_len(64).null())
                    .col(
                        ColumnDef::new(ScreeningItem::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(ScreeningItem::Done).boolean().not_null())
                    .col(
                        ColumnDef::new(ScreeningItem::Residents)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningItem::Alerts)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ScreeningItem::Region)
                            .col(ScreeningItem::Village),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScreeningItem::Table).to_owned())
            .await
    }
}
