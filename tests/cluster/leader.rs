//! Scheduled jobs run once across the hub: the instance holding the leader lock runs
//! them, and when its session ends another instance takes over.

use std::time::{Duration, Instant};

use cunhub::store::coordination::Leadership;
use sea_orm::ConnectionTrait;

use crate::harness::{SharedDatabase, start_instance};

const SWEEP: &str = r#"{job="overdue_sweep"}"#;

#[tokio::test]
async fn the_overdue_sweep_runs_on_one_instance_only() {
    let database = SharedDatabase::create().await;
    let fast = |s: &mut cunhub::config::Settings| {
        s.workflow.overdue_check_interval = Duration::from_millis(100);
    };
    let a = start_instance(&database, fast).await;
    let b = start_instance(&database, fast).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let runs = a.metric("cunhub_scheduled_runs_total", SWEEP).await
            + b.metric("cunhub_scheduled_runs_total", SWEEP).await;
        if runs >= 10.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the sweep did not run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let runs = [
        a.metric("cunhub_scheduled_runs_total", SWEEP).await,
        b.metric("cunhub_scheduled_runs_total", SWEEP).await,
    ];
    assert!(
        runs.contains(&0.0),
        "one instance swept, the other never: {runs:?}"
    );
    let leaders = a.metric("cunhub_leader", "").await + b.metric("cunhub_leader", "").await;
    assert_eq!(leaders, 1.0);
}

async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !condition() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn another_instance_leads_when_the_leaders_session_ends() {
    let database = SharedDatabase::create().await;
    let (db_a, db_b) = (database.connect().await, database.connect().await);
    let check = Duration::from_millis(200);
    let a = Leadership::new("cunhub.scheduled_jobs").unwrap();
    tokio::spawn(a.clone().campaign(db_a, check));
    until("the first instance leads", || a.is_leader()).await;
    let b = Leadership::new("cunhub.scheduled_jobs").unwrap();
    tokio::spawn(b.clone().campaign(db_b, check));
    tokio::time::sleep(check * 3).await;
    assert!(!b.is_leader(), "one leader at a time");

    // The leader's connection dies, as it does with its machine: the server ends the
    // session, the lock goes with it, and the other instance takes it.
    let admin = database.connect().await;
    admin
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .await
        .unwrap();
    until("the second instance takes over", || b.is_leader()).await;
    until("the first knows it lost the lead", || !a.is_leader()).await;

    // A leader that stops gives the lead up at once.
    b.resign();
    until("the first leads again", || a.is_leader()).await;
}
