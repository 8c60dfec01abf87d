//! A screening run split across two instances, one of them killed mid-run: the other
//! finishes it, and the findings are those of a run on one instance.

use std::time::Duration;

use cunhub::{
    adapters::Departments,
    config::Settings,
    domain::RegionCode,
    screening::{RunOptions, Screener},
    store::id_vault::IdVault,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::harness::{SharedDatabase, TOWNSHIP, start_instance, sync, township, use_departments};

/// The township's alerts as `(resident, kind, facts)`, sorted; the resident by the keyed
/// hash of their ID number (the same keys on both databases; the row ids are not).
async fn alerts(db: &DatabaseConnection) -> Vec<(String, String, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT r.lookup_hash, a.kind, a.facts FROM alert a JOIN resident r ON r.id = a.resident_id \
             ORDER BY r.lookup_hash, a.kind",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "lookup_hash").unwrap(),
                row.try_get::<String>("", "kind").unwrap(),
                row.try_get::<String>("", "facts").unwrap(),
            )
        })
        .collect()
}

/// Screens the township as one instance does, on its own pool: split or alone.
async fn screen(db: DatabaseConnection, settings: Settings, split: bool) {
    let vault = IdVault::from_settings(&settings.privacy).unwrap();
    let departments = Departments::new(&settings.departments).unwrap();
    let screener = Screener {
        db: &db,
        vault: &vault,
        departments: &departments,
        department_settings: &settings.departments,
        settings: &settings.screening,
    };
    let region = RegionCode::parse(TOWNSHIP).unwrap();
    let options = RunOptions::default();
    let report = if split {
        screener.run_split(&region, &options).await
    } else {
        screener.run(&region, &options, |_| {}).await
    };
    assert!(report.unwrap().finished);
}

#[tokio::test]
async fn a_split_run_survives_a_killed_instance_and_finds_what_one_instance_finds() {
    let departments = township(4).await;
    let configure = |s: &mut Settings| {
        use_departments(s, &departments);
        s.screening.lease = Duration::from_secs(5);
    };

    // The reference: one instance screens the township alone.
    let alone = SharedDatabase::create().await;
    let single = start_instance(&alone, configure).await;
    sync(&single).await;
    screen(single.db.clone(), single.settings.clone(), false).await;
    let expected = alerts(&single.db).await;
    assert!(!expected.is_empty(), "the township has findings");

    // Two instances share the run; the first is killed once a few villages are done.
    let shared = SharedDatabase::create().await;
    let first = start_instance(&shared, configure).await;
    sync(&first).await;
    let second_db = shared.connect().await;
    let killed = tokio::spawn(screen(first.db.clone(), first.settings.clone(), true));
    let done = || async {
        first
            .db
            .query_one_raw(Statement::from_string(
                first.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM screening_item WHERE done",
            ))
            .await
            .unwrap()
            .map_or(0, |row| row.try_get::<i64>("", "n").unwrap_or(0))
    };
    while done().await < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let survivor = tokio::spawn(screen(second_db, first.settings.clone(), true));
    tokio::time::sleep(Duration::from_millis(50)).await;
    killed.abort();
    survivor.await.unwrap();

    let run = first
        .db
        .query_one_raw(Statement::from_string(
            first.db.get_database_backend(),
            "SELECT villages, finished_at IS NOT NULL AS finished, \
             (SELECT COUNT(*) FROM screening_item) AS items FROM screening_run",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(run.try_get::<bool>("", "finished").unwrap());
    assert_eq!(
        run.try_get::<i64>("", "villages").unwrap(),
        run.try_get::<i64>("", "items").unwrap(),
        "every village counted once"
    );
    assert_eq!(alerts(&first.db).await, expected);
}
