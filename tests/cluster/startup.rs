//! Start-up: instances starting together migrate once, and an instance of the previous
//! version serves on the schema the next version has expanded (a rolling upgrade).

use cunhub::{auth::Role, startup::prepare_database, store};
use migration::{
    Alias, ColumnDef, DbErr, MigrationName, MigrationTrait, Migrator, MigratorTrait, SchemaManager,
    Table, async_trait,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::harness::{SharedDatabase, TOWNSHIP, start_instance, sync, township, use_departments};

#[tokio::test]
async fn instances_starting_together_prepare_the_database_once() {
    let database = SharedDatabase::create().await;
    let pools = [
        database.connect().await,
        database.connect().await,
        database.connect().await,
    ];
    let (a, b, c) = tokio::join!(
        prepare_database(&pools[0]),
        prepare_database(&pools[1]),
        prepare_database(&pools[2]),
    );
    for prepared in [a, b, c] {
        prepared.expect("every instance starts");
    }
    let applied = pools[0]
        .query_one_raw(Statement::from_string(
            pools[0].get_database_backend(),
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(applied as usize, Migrator::migrations().len());
}

/// The next version of the hub, as far as its schema goes: this version's migrations and
/// one more that expands (a nullable column on a table this version writes, and a table
/// of its own), as docs/deploy.md asks of every migration shipped with a rolling upgrade.
struct NextVersion;

#[async_trait::async_trait]
impl MigratorTrait for NextVersion {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = Migrator::migrations();
        migrations.push(Box::new(Expand));
        migrations
    }
}

struct Expand;

impl MigrationName for Expand {
    fn name(&self) -> &str {
        "m29991231_000001_next_version_expands"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Expand {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("service_request"))
                    .add_column(ColumnDef::new(Alias::new("channel")).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("request_attachment"))
                    .col(
                        ColumnDef::new(Alias::new("id"))
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Alias::new("request_id")).string().not_null())
                    .to_owned(),
            )
            .await
    }
}

#[tokio::test]
async fn the_previous_version_serves_on_the_schema_the_next_version_expanded() {
    let database = SharedDatabase::create().await;
    let next = database.connect().await;
    store::migrate_with::<NextVersion>(&next)
        .await
        .expect("the next version migrates");
    // The migrator by itself would refuse to run this version on that schema.
    let refused = Migrator::up(&next, None).await;
    assert!(
        refused.is_err(),
        "sea-orm's migrator refuses an unknown migration"
    );

    // This version, the previous one now, starts on it and serves reads and writes.
    let departments = township(3).await;
    let previous = start_instance(&database, |s| use_departments(s, &departments)).await;
    sync(&previous).await;
    let admin = previous.token(Role::Admin, "22");
    let listing = previous
        .graphql(
            &admin,
            r#"query($region: String!) { residents(region: $region, first: 1, filter: { minAge: 14 }) { nodes { id village { code } } } }"#,
            json!({ "region": TOWNSHIP }),
        )
        .await;
    let resident = &listing["data"]["residents"]["nodes"][0];
    let (resident, village) = (
        resident["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{listing}")),
        resident["village"]["code"].as_str().unwrap(),
    );
    let opened = previous
        .graphql(
            &previous.token(Role::VillageAssistant, village),
            "mutation($input: OpenServiceRequestInput!) { openServiceRequest(input: $input) { request { id version } } }",
            json!({ "input": {
                "idempotencyKey": "open-on-expanded-schema",
                "residentId": resident,
                "catalogueCode": "JL-YB-001",
                "mode": "IN_VILLAGE",
                "description": "办理城乡居民医保参保登记",
            }}),
        )
        .await;
    let request = opened["data"]["openServiceRequest"]["request"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{opened}"));
    let row = next
        .query_one_raw(Statement::from_sql_and_values(
            next.get_database_backend(),
            "SELECT channel FROM service_request WHERE id = $1",
            [request.into()],
        ))
        .await
        .unwrap()
        .expect("the request is stored");
    assert_eq!(row.try_get::<Option<String>>("", "channel").unwrap(), None);
}
