//! A resident records the lookup key version its keyed hash was made with, so that the
//! lookup key can rotate: rows hashed before this column existed were hashed under
//! version 1.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Resident {
    Table,
    LookupKeyVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Resident::Table)
                    .add_column(
                        ColumnDef::new(Resident::LookupKeyVersion)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Resident::Table)
                    .drop_column(Resident::LookupKeyVersion)
                    .to_owned(),
            )
            .await
    }
}
