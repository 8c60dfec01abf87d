//! The tables of village services: the catalogue, the working-day calendar, service
//! requests with their timelines, visits, alert follow-up, and the idempotency keys that
//! make every write safe to retry.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogueItem {
    Table,
    Code,
    Name,
    Department,
    Level,
    Region,
    Modes,
    Materials,
    TimeLimitDays,
    Illustrative,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum CalendarDay {
    Table,
    Day,
    Working,
    Name,
}

#[derive(DeriveIden)]
enum ServiceRequest {
    Table,
    Id,
    ResidentId,
    VillageCode,
    CatalogueCode,
    Mode,
    Status,
    Department,
    Description,
    Authorisation,
    AlertId,
    VisitId,
    OpenedBy,
    StepDue,
    Overdue,
    Escalations,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RequestEvent {
    Table,
    Id,
    RequestId,
    Seq,
    Kind,
    Status,
    ActorSubject,
    ActorRole,
    Note,
    At,
    Due,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    Subject,
    Key,
    Operation,
    Fingerprint,
    ResultId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Visit {
    Table,
    Id,
    ResidentId,
    VillageCode,
    Kind,
    VisitedOn,
    Findings,
    RecordedBy,
    RecordedAt,
    RequestId,
}

#[derive(DeriveIden)]
enum AlertFollowUp {
    Table,
    AlertId,
    ResidentId,
    VillageCode,
    Kind,
    State,
    Facts,
    Reason,
    RequestId,
    ActorSubject,
    At,
}

fn timestamp<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

async fn index<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: Vec<T>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).if_not_exists();
    for column in columns {
        index.col(column);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueItem::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(CatalogueItem::Code)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CatalogueItem::Name).string().not_null())
                    .col(
                        ColumnDef::new(CatalogueItem::Department)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogueItem::Level)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogueItem::Region)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CatalogueItem::Modes).string().not_null())
                    .col(ColumnDef::new(CatalogueItem::Materials).text().not_null())
                    .col(
                        ColumnDef::new(CatalogueItem::TimeLimitDays)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogueItem::Illustrative)
                            .boolean()
                            .not_null(),
                    )
                    .col(timestamp(CatalogueItem::CreatedAt))
                    .col(ColumnDef::new(CatalogueItem::RetiredAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CalendarDay::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(CalendarDay::Day)
                            .date()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CalendarDay::Working).boolean().not_null())
                    .col(ColumnDef::new(CalendarDay::Name).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceRequest::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ServiceRequest::Id)
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ServiceRequest::ResidentId)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceRequest::VillageCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceRequest::CatalogueCode)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceRequest::Mode)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ServiceRequest::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceRequest::Department).string_len(32))
                    .col(
                        ColumnDef::new(ServiceRequest::Description)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceRequest::Authorisation).text())
                    .col(ColumnDef::new(ServiceRequest::AlertId).string_len(80))
                    .col(ColumnDef::new(ServiceRequest::VisitId).string_len(40))
                    .col(ColumnDef::new(ServiceRequest::OpenedBy).string().not_null())
                    .col(ColumnDef::new(ServiceRequest::StepDue).timestamp_with_time_zone())
                    .col(ColumnDef::new(ServiceRequest::Overdue).boolean().not_null())
                    .col(
                        ColumnDef::new(ServiceRequest::Escalations)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServiceRequest::Version).integer().not_null())
                    .col(timestamp(ServiceRequest::CreatedAt))
                    .col(timestamp(ServiceRequest::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Work lists page by id within a region prefix, by status, by department, and
        // the overdue sweep looks for passed deadlines.
        index(
            manager,
            "idx_request_village",
            ServiceRequest::Table,
            vec![ServiceRequest::VillageCode, ServiceRequest::Id],
        )
        .await?;
        index(
            manager,
            "idx_request_department",
            ServiceRequest::Table,
            vec![ServiceRequest::Department, ServiceRequest::Id],
        )
        .await?;
        index(
            manager,
            "idx_request_due",
            ServiceRequest::Table,
            vec![ServiceRequest::Overdue, ServiceRequest::StepDue],
        )
        .await?;
        index(
            manager,
            "idx_request_resident",
            ServiceRequest::Table,
            vec![ServiceRequest::ResidentId],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(RequestEvent::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(RequestEvent::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RequestEvent::RequestId)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RequestEvent::Seq).integer().not_null())
                    .col(ColumnDef::new(RequestEvent::Kind).string_len(32).not_null())
                    .col(
                        ColumnDef::new(RequestEvent::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RequestEvent::ActorSubject)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RequestEvent::ActorRole)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RequestEvent::Note).text().not_null())
                    .col(timestamp(RequestEvent::At))
                    .col(ColumnDef::new(RequestEvent::Due).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        // One event per version of a request: a lost race can never add a second.
        manager
            .create_index(
                Index::create()
                    .name("uq_request_event_seq")
                    .table(RequestEvent::Table)
                    .col(RequestEvent::RequestId)
                    .col(RequestEvent::Seq)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(IdempotencyKey::Subject).string().not_null())
                    .col(
                        ColumnDef::new(IdempotencyKey::Key)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKey::Operation)
                            .string_len(48)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdempotencyKey::Fingerprint)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(IdempotencyKey::ResultId).string().not_null())
                    .col(timestamp(IdempotencyKey::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKey::Subject)
                            .col(IdempotencyKey::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Visit::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Visit::Id)
                            .string_len(40)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Visit::ResidentId).string_len(32).not_null())
                    .col(ColumnDef::new(Visit::VillageCode).string_len(12).not_null())
                    .col(ColumnDef::new(Visit::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Visit::VisitedOn).date().not_null())
                    .col(ColumnDef::new(Visit::Findings).text().not_null())
                    .col(ColumnDef::new(Visit::RecordedBy).string().not_null())
                    .col(timestamp(Visit::RecordedAt))
                    .col(ColumnDef::new(Visit::RequestId).string_len(40))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_visit_resident",
            Visit::Table,
            vec![Visit::ResidentId, Visit::VisitedOn],
        )
        .await?;
        index(
            manager,
            "idx_visit_village",
            Visit::Table,
            vec![Visit::VillageCode, Visit::Id],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertFollowUp::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AlertFollowUp::AlertId)
                            .string_len(80)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AlertFollowUp::ResidentId)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AlertFollowUp::VillageCode)
                            .string_len(12)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AlertFollowUp::Kind)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AlertFollowUp::State)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AlertFollowUp::Facts).text().not_null())
                    .col(ColumnDef::new(AlertFollowUp::Reason).text())
                    .col(ColumnDef::new(AlertFollowUp::RequestId).string_len(40))
                    .col(
                        ColumnDef::new(AlertFollowUp::ActorSubject)
                            .string()
                            .not_null(),
                    )
                    .col(timestamp(AlertFollowUp::At))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AlertFollowUp::Table.into_iden(),
            Visit::Table.into_iden(),
            IdempotencyKey::Table.into_iden(),
            RequestEvent::Table.into_iden(),
            ServiceRequest::Table.into_iden(),
            CalendarDay::Table.into_iden(),
            CatalogueItem::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
