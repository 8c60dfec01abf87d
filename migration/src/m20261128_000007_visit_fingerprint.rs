//! A visit keeps a fingerprint of what was sent for it (the visit and any request it
//! opened), so that a visit captured offline and sent again under its client-generated
//! id is recognised as the same one, and other content under that id is refused.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Visit {
    Table,
    Fingerprint,
    Kind,
    VisitedOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Visit::Table)
                    .add_column(
                        ColumnDef::new(Visit::Fingerprint)
                            .string_len(64)
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        // "Not visited for this key group within N days" looks visits up by kind and date.
        manager
            .create_index(
                Index::create()
                    .name("idx_visit_kind_day")
                    .table(Visit::Table)
                    .col(Visit::Kind)
                    .col(Visit::VisitedOn)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_visit_kind_day")
                    .table(Visit::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Visit::Table)
                    .drop_column(Visit::Fingerprint)
                    .to_owned(),
            )
            .await
    }
}
