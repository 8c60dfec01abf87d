use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditRecord {
    Table,
    Id,
    RecordedAt,
    RequestId,
    Subject,
    Role,
    Region,
    Purpose,
    CaseRef,
    Action,
    Target,
    Departments,
    FieldGroups,
    Outcome,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditRecord::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditRecord::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditRecord::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditRecord::RequestId).string().not_null())
                    .col(ColumnDef::new(AuditRecord::Subject).string().not_null())
                    .col(ColumnDef::new(AuditRecord::Role).string_len(32).not_null())
                    .col(
                        ColumnDef::new(AuditRecord::Region)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditRecord::Purpose).string_len(32).null())
                    .col(ColumnDef::new(AuditRecord::CaseRef).string().null())
                    .col(
                        ColumnDef::new(AuditRecord::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditRecord::Target).string().not_null())
                    .col(ColumnDef::new(AuditRecord::Departments).string().not_null())
                    .col(ColumnDef::new(AuditRecord::FieldGroups).string().not_null())
                    .col(ColumnDef::new(AuditRecord::Outcome).string().not_null())
                    .col(
                        ColumnDef::new(AuditRecord::PrevHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditRecord::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_record_target")
                    .table(AuditRecord::Table)
                    .col(AuditRecord::Target)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditRecord::Table).to_owned())
            .await
    }
}
