use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Resident {
    Table,
    Id,
    LookupHash,
    IdCipher,
    KeyVersion,
    Name,
    Sex,
    BirthDate,
    Ethnicity,
    VillageCode,
    HouseholdNumber,
    Relationship,
    Status,
    DeathDate,
    ContentHash,
    SyncGeneration,
    SyncedAt,
}

#[derive(DeriveIden)]
enum SyncState {
    Table,
    Region,
    Generation,
    Cursor,
    StartedAt,
    FinishedAt,
    Seen,
    Added,
    Changed,
    MovedOut,
    Deceased,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Resident::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Resident::Id)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Resident::LookupHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Resident::IdCipher).string().not_null())
                    .col(ColumnDef::new(Resident::KeyVersion).integer().not_null())
                    .col(ColumnDef::new(Resident::Name).string().not_null())
                    .col(ColumnDef::new(Resident::Sex).string_len(1).not_null())
                    .col(ColumnDef::new(Resident::BirthDate).date().not_null())
                    .col(ColumnDef::new(Resident::Ethnicity).string_len(2).not_null())
                    .col(
                        ColumnDef::new(Resident::VillageCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Resident::HouseholdNumber)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Resident::Relationship)
                            .string_len(2)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Resident::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Resident::DeathDate).date().null())
                    .col(
                        ColumnDef::new(Resident::ContentHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Resident::SyncGeneration)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Resident::SyncedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_resident_village", Resident::VillageCode),
            ("idx_resident_household", Resident::HouseholdNumber),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Resident::Table)
                        .col(column)
                        .col(Resident::Id)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SyncState::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(SyncState::Region)
                            .string_len(12)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SyncState::Generation)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SyncState::Cursor).string().null())
                    .col(
                        ColumnDef::new(SyncState::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SyncState::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(SyncState::Seen).big_integer().not_null())
                    .col(ColumnDef::new(SyncState::Added).big_integer().not_null())
                    .col(ColumnDef::new(SyncState::Changed).big_integer().not_null())
                    .col(ColumnDef::new(SyncState::MovedOut).big_integer().not_null())
                    .col(ColumnDef::new(SyncState::Deceased).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncState::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Resident::Table).to_owned())
            .await
    }
}
