use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Region {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Region::Code)
                            .string_len(12)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Region::Name).string().not_null())
                    .col(ColumnDef::new(Region::Level).string_len(16).not_null())
                    .col(ColumnDef::new(Region::ParentCode).string_len(12).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_region_parent_code")
                    .table(Region::Table)
                    .col(Region::ParentCode)
                    .col(Region::Code)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Region::Table).to_owned())
            .await
    }
}
