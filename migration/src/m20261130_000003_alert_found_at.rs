//! When an alert was first found, kept across the runs that find it again, and copied
//! onto its follow-up, so that the days from finding an alert to handling it can be
//! counted even after the alert has gone. Both columns are added nullable (rows written
//! before them read as found at their last run), so a hub of the previous version keeps
//! working on the migrated database.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alert {
    Table,
    FirstFoundAt,
}

#[derive(DeriveIden)]
enum AlertFollowUp {
    Table,
    FoundAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alert::Table)
                    .add_column(
                        ColumnDef::new(Alert::FirstFoundAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AlertFollowUp::Table)
                    .add_column(
                        ColumnDef::new(AlertFollowUp::FoundAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AlertFollowUp::Table)
                    .drop_column(AlertFollowUp::FoundAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alert::Table)
                    .drop_column(Alert::FirstFoundAt)
                    .to_owned(),
            )
            .await
    }
}
