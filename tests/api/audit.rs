//! The access log's hash chain: concurrent appends stay one chain; editing, deleting or
//! reordering records is named by `audit verify`.

use cunhub::audit::{Actor, AuditEvent, AuditLog, verify};
use sea_orm::ConnectionTrait;

use crate::helpers::{TestApp, spawn_app};

fn actor(n: usize) -> Actor {
    Actor {
        subject: format!("user-{n}"),
        role: "village_assistant".into(),
        region: "220122101201".into(),
        purpose: Some("SERVICE_HANDLING".into()),
        case_ref: None,
        request_id: format!("req-{n}"),
    }
}

async fn fill(app: &TestApp, writers: usize, each: usize) -> AuditLog {
    let log = AuditLog::spawn(app.db.clone());
    let mut tasks = Vec::new();
    for w in 0..writers {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..each {
                let event = AuditEvent::resident_read(
                    &actor(w),
                    &format!("r{w}-{i}"),
                    vec!["civil_affairs".into()],
                    vec!["identity".into()],
                );
                log.record(vec![event]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    log
}

async fn sql(app: &TestApp, statement: &str) {
    app.db.execute_unprepared(statement).await.unwrap();
}

#[tokio::test]
async fn concurrent_appends_form_one_intact_chain() {
    let app = spawn_app().await;
    fill(&app, 8, 25).await;
    let report = verify(&app.db).await.unwrap();
    assert_eq!(report.records, 200);
    assert_eq!(report.broken, None);
}

#[tokio::test]
async fn an_edited_record_is_named() {
    let app = spawn_app().await;
    fill(&app, 2, 10).await;
    sql(
        &app,
        "UPDATE audit_record SET subject = 'someone-else' WHERE id = 7",
    )
    .await;
    let broken = verify(&app.db).await.unwrap().broken.unwrap();
    assert_eq!(broken.id, 7);
    assert!(broken.reason.contains("edited"), "{}", broken.reason);
}

#[tokio::test]
async fn a_deleted_record_is_named() {
    let app = spawn_app().await;
    fill(&app, 2, 10).await;
    sql(&app, "DELETE FROM audit_record WHERE id = 5").await;
    let report = verify(&app.db).await.unwrap();
    assert_eq!(report.records, 4);
    assert_eq!(report.broken.unwrap().id, 6);
}

#[tokio::test]
async fn reordered_records_are_named() {
    let app = spawn_app().await;
    fill(&app, 1, 10).await;
    sql(&app, "UPDATE audit_record SET id = 1000 WHERE id = 3").await;
    sql(&app, "UPDATE audit_record SET id = 3 WHERE id = 4").await;
    sql(&app, "UPDATE audit_record SET id = 4 WHERE id = 1000").await;
    assert_eq!(verify(&app.db).await.unwrap().broken.unwrap().id, 3);
}

#[tokio::test]
async fn a_second_writer_on_the_same_database_continues_the_chain() {
    let app = spawn_app().await;
    fill(&app, 1, 5).await;
    // Another instance with its own writer, unaware of the first one's head.
    fill(&app, 1, 5).await;
    let report = verify(&app.db).await.unwrap();
    assert_eq!((report.records, report.broken), (10, None));
}

#[test]
fn the_verify_command_reports_an_intact_and_a_broken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let settings = cunhub::config::DatabaseSettings {
            url: url.clone(),
            max_connections: 2,
        };
        let db = cunhub::store::connect(&settings).await.unwrap();
        cunhub::store::migrate(&db).await.unwrap();
        let log = AuditLog::spawn(db.clone());
        for i in 0..3 {
            log.record(vec![AuditEvent::resident_read(
                &actor(i),
                "r",
                vec![],
                vec![],
            )])
            .await
            .unwrap();
        }
    });
    let cunhub = env!("CARGO_BIN_EXE_cunhub");
    let ok = std::process::Command::new(cunhub)
        .args(["--database-url", &url, "audit", "verify"])
        .env_remove("CUNHUB_TEST_DATABASE_URL")
        .output()
        .unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 3 records"));
    runtime.block_on(async {
        let db = sea_orm::Database::connect(&url).await.unwrap();
        db.execute_unprepared("UPDATE audit_record SET outcome = 'refused:x' WHERE id = 2")
            .await
            .unwrap();
    });
    let bad = std::process::Command::new(cunhub)
        .args(["--database-url", &url, "audit", "verify"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("broken at record 2"));
}
