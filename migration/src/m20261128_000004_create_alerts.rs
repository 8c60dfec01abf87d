use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alert {
    Table,
    Id,
    ResidentId,
    VillageCode,
    Kind,
    Departments,
    Facts,
    ScreenedAt,
}

#[derive(DeriveIden)]
enum ScreeningRun {
    Table,
    Region,
    Generation,
    LeaseHolder,
    LeaseUntil,
    StartedAt,
    FinishedAt,
    LastVillage,
    Villages,
    Residents,
    Alerts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alert::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Alert::Id)
                            .string_len(80)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Alert::ResidentId).string_len(32).not_null())
                    .col(ColumnDef::new(Alert::VillageCode).string_len(12).not_null())
                    .col(ColumnDef::new(Alert::Kind).string_len(40).not_null())
                    .col(ColumnDef::new(Alert::Departments).string().not_null())
                    .col(ColumnDef::new(Alert::Facts).text().not_null())
                    .col(
                        ColumnDef::new(Alert::ScreenedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // Region listings page by id within a village prefix; the resident filter asks
        // by kind.
        for (name, columns) in [
            ("idx_alert_village", vec![Alert::VillageCode, Alert::Id]),
            ("idx_alert_kind", vec![Alert::Kind, Alert::ResidentId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alert::Table).if_not_exists();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ScreeningRun::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ScreeningRun::Region)
                            .string_len(12)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::Generation)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ScreeningRun::LeaseHolder).string().null())
                    .col(
                        ColumnDef::new(ScreeningRun::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::LastVillage)
                            .string_len(12)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::Villages)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::Residents)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScreeningRun::Alerts)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScreeningRun::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Alert::Table).to_owned())
            .await
    }
}
