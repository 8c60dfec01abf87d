//! The audit log with two instances writing at once: one chain, no refusal, nothing lost
//! or forked; `cunhub audit verify` checks it whole and still names a deleted record.

use cunhub::{
    audit::{
        Actor, AuditEvent, AuditLog, CheckpointKey, HeadFound, WriterDatabase, sign_head,
        verify_with_key,
    },
    startup::prepare_database,
};
use sea_orm::{ConnectionTrait, Statement};

use crate::harness::SharedDatabase;

fn actor(instance: usize, writer: usize) -> Actor {
    Actor {
        subject: format!("user-{instance}-{writer}"),
        role: "village_assistant".into(),
        region: "220122101201".into(),
        purpose: Some("SERVICE_HANDLING".into()),
        case_ref: None,
        request_id: format!("req-{instance}-{writer}"),
    }
}

/// `writers` callers on the instance's log, each recording `each` requests' reads of
/// `per_request` residents; how many were refused.
async fn load(
    log: AuditLog,
    instance: usize,
    writers: usize,
    each: usize,
    per_request: usize,
) -> usize {
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut refused = 0;
            for request in 0..each {
                let events = (0..per_request)
                    .map(|n| {
                        AuditEvent::resident_read(
                            &actor(instance, writer),
                            &format!("r{instance}-{writer}-{request}-{n}"),
                            vec!["civil_affairs".into()],
                            vec!["identity".into()],
                        )
                    })
                    .collect();
                if log.record(events).await.is_err() {
                    refused += 1;
                }
            }
            refused
        }));
    }
    let mut refused = 0;
    for task in tasks {
        refused += task.await.unwrap();
    }
    refused
}

/// The key `cunhub audit verify` checks with when none is configured.
fn key() -> CheckpointKey {
    CheckpointKey::development()
}

#[tokio::test]
async fn two_loaded_instances_write_one_chain_without_refusals() {
    let database = SharedDatabase::create().await;
    let (a, b) = (database.connect().await, database.connect().await);
    prepare_database(&a).await.unwrap();
    // Each instance its own pool and the writer `serve` starts on it, as two processes have.
    let writer = |db: &sea_orm::DatabaseConnection| {
        AuditLog::start(db.clone(), WriterDatabase::of(db, None))
    };
    let (log_a, log_b) = (writer(&a), writer(&b));
    let (writers, each, per_request) = (24, 30, 3);
    let signing = {
        let (a, b) = (a.clone(), b.clone());
        tokio::spawn(async move {
            // Checkpoints signed by both instances while the load runs.
            let key = key();
            for _ in 0..10 {
                let (x, y) = tokio::join!(sign_head(&a, &key), sign_head(&b, &key));
                x.unwrap();
                y.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            }
        })
    };
    let (refused_a, refused_b) = tokio::join!(
        load(log_a, 0, writers, each, per_request),
        load(log_b, 1, writers, each, per_request)
    );
    signing.await.unwrap();
    assert_eq!((refused_a, refused_b), (0, 0), "no caller is refused");
    sign_head(&a, &key()).await.unwrap();

    let written = 2 * writers * each * per_request;
    let report = verify_with_key(&a, &key()).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(
        report.records as usize, written,
        "every record, none forked"
    );
    assert!(report.checkpoints >= 1);
    let distinct = a
        .query_one_raw(Statement::from_string(
            a.get_database_backend(),
            "SELECT COUNT(DISTINCT target) AS n, MAX(id) AS last FROM audit_record",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(distinct.try_get::<i64>("", "n").unwrap() as usize, written);
    assert_eq!(
        distinct.try_get::<i64>("", "last").unwrap() as usize,
        written
    );

    // The command an auditor runs checks the whole log, and names a deleted record.
    let cunhub = env!("CARGO_BIN_EXE_cunhub");
    let verify = || {
        std::process::Command::new(cunhub)
            .args(["--database-url", &database.url, "audit", "verify"])
            .output()
            .unwrap()
    };
    let intact = verify();
    let stdout = String::from_utf8_lossy(&intact.stdout);
    assert!(intact.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("intact: {written} records")),
        "{stdout}"
    );
    a.execute_unprepared("DELETE FROM audit_record WHERE id = 1000")
        .await
        .unwrap();
    let broken = verify();
    assert!(!broken.status.success());
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("broken at record"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
}

/// The batches `log` committed after a head it read under the lock, and after the head it
/// remembered.
fn ways(log: &AuditLog) -> (u64, u64) {
    (
        log.batches(HeadFound::Read),
        log.batches(HeadFound::Remembered),
    )
}

#[tokio::test]
async fn a_writer_alone_appends_after_the_head_it_remembers_and_reads_it_once_another_appended() {
    let database = SharedDatabase::create().await;
    let (a, b) = (database.connect().await, database.connect().await);
    prepare_database(&a).await.unwrap();
    let (log_a, log_b) = (
        AuditLog::start(a.clone(), WriterDatabase::of(&a, None)),
        AuditLog::start(b.clone(), WriterDatabase::of(&b, None)),
    );
    let record = |log: &AuditLog, instance: usize, n: usize| {
        let log = log.clone();
        async move {
            let event = AuditEvent::resident_read(
                &actor(instance, 0),
                &format!("r{instance}-{n}"),
                vec!["civil_affairs".into()],
                vec!["identity".into()],
            );
            log.record(vec![event]).await.unwrap();
        }
    };
    for n in 0..5 {
        record(&log_a, 0, n).await;
    }
    // The first batch reads the head; the second finds it where the first left it, so the
    // writer is alone and the rest go after the head it remembers.
    assert_eq!(ways(&log_a), (2, 3));

    // Another instance appends: the next batch after the remembered head is refused by
    // the primary key, writes nothing, and is written after the head read instead.
    record(&log_b, 1, 0).await;
    record(&log_a, 0, 5).await;
    assert_eq!(ways(&log_a), (3, 3));
    // Read once more, where this writer left it: alone again.
    record(&log_a, 0, 6).await;
    record(&log_a, 0, 7).await;
    assert_eq!(ways(&log_a), (4, 4));

    let report = verify_with_key(&a, &key()).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.records, 9, "every record once, none forked");
}
