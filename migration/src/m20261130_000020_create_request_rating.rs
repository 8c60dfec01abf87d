//! Ratings of resolved service requests (好差评): one per request, by the resident or by
//! the village assistant on their behalf. The village, department and catalogue item are
//! kept with the rating, as they stood when it was given, for the satisfaction counts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestRating {
    Table,
    RequestId,
    Level,
    Comment,
    RatedBy,
    RaterRole,
    OnBehalf,
    VillageCode,
    Department,
    CatalogueCode,
    RatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestRating::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(RequestRating::RequestId)
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RequestRating::Level)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RequestRating::Comment).text())
                    .col(ColumnDef::new(RequestRating::RatedBy).string().not_null())
                    .col(
                        ColumnDef::new(RequestRating::RaterRole)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RequestRating::OnBehalf).boolean().not_null())
                    .col(
                        ColumnDef::new(RequestRating::VillageCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RequestRating::Department).string_len(32))
                    .col(
                        ColumnDef::new(RequestRating::CatalogueCode)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RequestRating::RatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("request_rating_village")
                    .table(RequestRating::Table)
                    .col(RequestRating::VillageCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RequestRating::Table).to_owned())
            .await
    }
}
