//! The access log's hash chain: concurrent appends stay one chain; editing, deleting or
//! reordering records is named by `audit verify`; signed checkpoints catch truncation and
//! a recomputed chain.

use cunhub::audit::{
    Actor, AuditEvent, AuditLog, CheckpointKey, WriterDatabase, chain::Hashed,
    chain::timestamp_text, checkpoint_message, sign_head, verify, verify_with_key,
};
use entities::audit_record;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryOrder, Set};

use cunhub::store::local::SqliteFile;

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

/// The writer the hub starts on its database (a thread of its own with a connection of
/// its own, on a SQLite file and on PostgreSQL).
fn hub_writer(app: &TestApp) -> AuditLog {
    let file = SqliteFile::of_url(&app.settings.database.url);
    AuditLog::start(app.db.clone(), WriterDatabase::of(&app.db, file.as_ref()))
}

async fn fill(app: &TestApp, writers: usize, each: usize) -> AuditLog {
    fill_with(hub_writer(app), writers, each).await
}

async fn fill_with(log: AuditLog, writers: usize, each: usize) -> AuditLog {
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
    let first = fill(&app, 1, 5).await;
    // Another writer (a command beside the server), unaware of the first one's head;
    // then the first again, whose remembered head is no longer the chain's.
    fill_with(AuditLog::spawn(app.db.clone()), 1, 5).await;
    fill(&app, 1, 5).await;
    fill_with(first, 1, 5).await;
    let report = verify(&app.db).await.unwrap();
    assert_eq!((report.records, report.broken), (20, None));
}

#[test]
fn the_verify_command_reports_an_intact_and_a_broken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let settings = cunhub::store::DatabaseSettings {
            url: url.clone(),
            max_connections: 2,
        };
        let db = cunhub::store::connect(&settings).await.unwrap();
        cunhub::startup::prepare_database(&db).await.unwrap();
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
        sign_head(&db, &CheckpointKey::development()).await.unwrap();
    });
    let cunhub = env!("CARGO_BIN_EXE_cunhub");
    let ok = std::process::Command::new(cunhub)
        .args(["--database-url", &url, "audit", "verify"])
        .env_remove("CUNHUB_TEST_DATABASE_URL")
        .output()
        .unwrap();
    assert!(ok.status.success());
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        stdout.contains("intact: 3 records; 1 checkpoints verify"),
        "{stdout}"
    );
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
    runtime.block_on(async {
        let db = sea_orm::Database::connect(&url).await.unwrap();
        db.execute_unprepared("DELETE FROM audit_record WHERE id >= 2")
            .await
            .unwrap();
    });
    let truncated = std::process::Command::new(cunhub)
        .args(["--database-url", &url, "audit", "verify"])
        .env_remove("CUNHUB_TEST_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!truncated.status.success());
    let stderr = String::from_utf8_lossy(&truncated.stderr);
    assert!(
        stderr.contains("checkpoint broken") && stderr.contains("deleted"),
        "{stderr}"
    );
}

fn key() -> CheckpointKey {
    CheckpointKey::new(1, &[42; 32]).unwrap()
}

#[tokio::test]
async fn checkpoints_verify_after_mixed_traffic() {
    let app = spawn_app().await;
    fill(&app, 4, 5).await;
    assert!(sign_head(&app.db, &key()).await.unwrap().is_some());
    // An unmoved head is not signed twice.
    assert!(sign_head(&app.db, &key()).await.unwrap().is_none());
    fill(&app, 2, 5).await;
    let second = sign_head(&app.db, &key()).await.unwrap().unwrap();
    assert_eq!((second.id, second.head_id), (2, 30));
    fill(&app, 1, 3).await;
    let report = verify_with_key(&app.db, &key()).await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!((report.records, report.checkpoints), (33, 2));
    assert_eq!(report.unsigned_records(), 3);
    assert!(report.macs_checked);
}

#[tokio::test]
async fn truncation_below_the_last_checkpoint_is_caught() {
    let app = spawn_app().await;
    fill(&app, 2, 10).await;
    sign_head(&app.db, &key()).await.unwrap();
    // The chain that is left is intact: only the checkpoint knows it was longer.
    sql(&app, "DELETE FROM audit_record WHERE id > 15").await;
    let report = verify_with_key(&app.db, &key()).await.unwrap();
    let broken = report.broken.unwrap();
    assert_eq!((broken.id, broken.checkpoint), (20, Some(1)));
    assert!(
        broken.reason.contains("newest records were deleted"),
        "{}",
        broken.reason
    );
    // Without the key the signed head still contradicts the log.
    assert!(verify(&app.db).await.unwrap().broken.is_some());
}

/// Rewrites every record after `from` with a new subject and recomputes the whole chain
/// from there, as someone with write access to the database but not the key could.
async fn recompute_chain(app: &TestApp, from: i64) {
    let records = audit_record::Entity::find()
        .order_by_asc(audit_record::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let mut prev_hash = cunhub::audit::chain::GENESIS.to_owned();
    for record in records {
        if record.id < from {
            prev_hash = record.hash.clone();
            continue;
        }
        let subject = "nobody".to_owned();
        let recorded_at = timestamp_text(&record.recorded_at);
        let hash = Hashed {
            id: record.id,
            recorded_at: &recorded_at,
            request_id: &record.request_id,
            subject: &subject,
            role: &record.role,
            region: &record.region,
            purpose: record.purpose.as_deref(),
            case_ref: record.case_ref.as_deref(),
            action: &record.action,
            target: &record.target,
            departments: &record.departments,
            field_groups: &record.field_groups,
            outcome: &record.outcome,
            prev_hash: &prev_hash,
        }
        .hash();
        let mut active = record.into_active_model();
        active.subject = Set(subject);
        active.prev_hash = Set(prev_hash.clone());
        active.hash = Set(hash.clone());
        active.update(&app.db).await.unwrap();
        prev_hash = hash;
    }
}

#[tokio::test]
async fn a_recomputed_chain_is_caught_by_the_checkpoint() {
    let app = spawn_app().await;
    fill(&app, 2, 10).await;
    sign_head(&app.db, &key()).await.unwrap();
    fill(&app, 1, 5).await;
    recompute_chain(&app, 4).await;
    let report = verify_with_key(&app.db, &key()).await.unwrap();
    assert_eq!(report.records, 25, "the rewritten chain holds as a chain");
    let broken = report.broken.unwrap();
    assert_eq!((broken.id, broken.checkpoint), (20, Some(1)));
    assert!(
        broken.reason.contains("chain was rewritten"),
        "{}",
        broken.reason
    );
}

#[tokio::test]
async fn a_checkpoint_forged_without_the_key_is_caught() {
    let app = spawn_app().await;
    fill(&app, 2, 10).await;
    sign_head(&app.db, &key()).await.unwrap();
    // Truncate, recompute, and sign the new head with a guessed key.
    sql(&app, "DELETE FROM audit_record WHERE id > 12").await;
    sql(&app, "DELETE FROM audit_checkpoint").await;
    let forger = CheckpointKey::new(1, &[0; 32]).unwrap();
    sign_head(&app.db, &forger).await.unwrap().unwrap();
    assert_eq!(
        verify(&app.db).await.unwrap().broken,
        None,
        "heads alone agree"
    );
    let broken = verify_with_key(&app.db, &key())
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.checkpoint, Some(1));
    assert!(
        broken.reason.contains("signature does not verify"),
        "{}",
        broken.reason
    );
    // An edited head hash with the original MAC fails the same way.
    sql(&app, "DELETE FROM audit_checkpoint").await;
    let real = sign_head(&app.db, &key()).await.unwrap().unwrap();
    let message = checkpoint_message(real.id, real.head_id, "0", &real.signed_at, 1);
    assert!(!key().verify(&message, &real.mac));
    sql(&app, "UPDATE audit_checkpoint SET head_id = 11").await;
    let broken = verify_with_key(&app.db, &key())
        .await
        .unwrap()
        .broken
        .unwrap();
    assert!(
        broken.reason.contains("signature does not verify"),
        "{}",
        broken.reason
    );
}

#[tokio::test]
async fn the_hub_signs_the_head_at_its_interval() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.audit.checkpoint_interval = std::time::Duration::from_secs(1);
    })
    .await;
    fill(&app, 1, 3).await;
    let mut signed = None;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let report = verify_with_key(&app.db, &CheckpointKey::development())
            .await
            .unwrap();
        assert_eq!(report.broken, None);
        if report.checkpoints > 0 {
            signed = report.newest_signed_head;
            break;
        }
    }
    assert_eq!(signed, Some(3));
}

const LOG_PAGE: &str = r#"query($filter: AuditLogFilter, $order: AuditLogOrder, $after: String) {
  auditLog(filter: $filter, order: $order, first: 2, after: $after) {
    totalCount
    edges { cursor node { id subject role action target outcome fieldGroups departments hash } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

fn ids(response: &crate::helpers::TestResponse) -> Vec<String> {
    response.data()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_auditor_reads_the_log_in_pages_newest_first() {
    use cunhub::auth::Role;
    let app = spawn_app().await;
    fill(&app, 1, 5).await;
    let auditor = app.token(Role::Auditor, "22");
    let filter = serde_json::json!({ "filter": { "action": "resident.read" } });
    let first = app
        .graphql(LOG_PAGE)
        .variables(filter.clone())
        .bearer(&auditor)
        .send()
        .await;
    assert_eq!(first.error_codes(), Vec::<String>::new(), "{}", first.body);
    assert_eq!(ids(&first), ["5", "4"]);
    let log = &first.data()["auditLog"];
    assert_eq!(log["totalCount"], 5);
    assert_eq!(
        log["edges"][0]["node"]["departments"],
        serde_json::json!(["civil_affairs"])
    );
    assert_eq!(log["edges"][0]["node"]["outcome"], "granted");
    let mut next = filter.clone();
    next["after"] = log["pageInfo"]["endCursor"].clone();
    let second = app
        .graphql(LOG_PAGE)
        .variables(next)
        .bearer(&auditor)
        .send()
        .await;
    assert_eq!(ids(&second), ["3", "2"]);
    let mut oldest = filter.clone();
    oldest["order"] = serde_json::json!("OLDEST_FIRST");
    let oldest = app
        .graphql(LOG_PAGE)
        .variables(oldest)
        .bearer(&auditor)
        .send()
        .await;
    assert_eq!(ids(&oldest), ["1", "2"]);
    // A cursor of one order is not replayed in the other.
    let mut replay = filter;
    replay["order"] = serde_json::json!("OLDEST_FIRST");
    replay["after"] = log["pageInfo"]["endCursor"].clone();
    let replay = app
        .graphql(LOG_PAGE)
        .variables(replay)
        .bearer(&auditor)
        .send()
        .await;
    assert_eq!(replay.error_codes(), ["INVALID_CURSOR"]);
}

#[tokio::test]
async fn the_log_filters_by_subject_outcome_target_and_time() {
    use cunhub::auth::Role;
    let app = spawn_app().await;
    fill(&app, 3, 2).await;
    // A refused and a missed access, through the API.
    let assistant = app.token(Role::VillageAssistant, "220122101201");
    app.graphql(r#"{ resident(id: "R0") { name } }"#)
        .bearer(&assistant)
        .send()
        .await;
    app.graphql(r#"{ resident(id: "R0") { name } }"#)
        .bearer(&assistant)
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    let admin = app.token(Role::Admin, "22");
    let count = |filter: serde_json::Value| {
        let call = app
            .graphql("query($f: AuditLogFilter) { auditLog(filter: $f) { totalCount } }")
            .variables(serde_json::json!({ "f": filter }))
            .bearer(&admin);
        async move {
            let response = call.send().await;
            assert_eq!(
                response.error_codes(),
                Vec::<String>::new(),
                "{}",
                response.body
            );
            response.data()["auditLog"]["totalCount"].as_u64().unwrap()
        }
    };
    assert_eq!(count(serde_json::json!({ "subject": "user-1" })).await, 2);
    assert_eq!(count(serde_json::json!({ "outcome": "refused" })).await, 1);
    assert_eq!(
        count(serde_json::json!({ "outcome": "refused:purpose_required" })).await,
        1
    );
    assert_eq!(
        count(serde_json::json!({ "outcome": "not_found", "target": "R0" })).await,
        1
    );
    assert_eq!(
        count(serde_json::json!({ "role": "village_assistant", "action": "resident.read" })).await,
        7 // six reads and the refusal
    );
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    assert_eq!(count(serde_json::json!({ "from": future })).await, 0);
    assert_eq!(
        count(serde_json::json!({ "until": future, "action": "resident.lookup" })).await,
        1
    );
}

#[tokio::test]
async fn reading_the_log_is_itself_audited() {
    use cunhub::auth::Role;
    let app = spawn_app().await;
    fill(&app, 1, 3).await;
    let auditor = app.token(Role::Auditor, "22");
    app.graphql(LOG_PAGE)
        .variables(serde_json::json!({ "filter": { "subject": "user-0" } }))
        .bearer(&auditor)
        .send()
        .await;
    let response = app
        .graphql(LOG_PAGE)
        .variables(
            serde_json::json!({ "filter": { "action": "audit.read" }, "order": "OLDEST_FIRST" }),
        )
        .bearer(&auditor)
        .send()
        .await;
    let first = &response.data()["auditLog"]["edges"][0]["node"];
    assert_eq!(first["role"], "auditor");
    assert_eq!(first["subject"], "test-user");
    assert_eq!(first["target"], "audit_log:subject=user-0");
    assert_eq!(first["fieldGroups"], serde_json::json!(["count=2"]));
    assert_eq!(verify(&app.db).await.unwrap().broken, None);
}

#[tokio::test]
async fn only_the_auditor_and_admin_read_the_log() {
    use cunhub::{auth::Role, domain::Department};
    let app = spawn_app().await;
    fill(&app, 1, 2).await;
    let query = "{ auditLog { edges { node { subject target } } } }";
    let anonymous = app.graphql(query).send().await;
    assert_eq!(anonymous.error_codes(), ["UNAUTHENTICATED"]);
    assert!(!anonymous.body.to_string().contains("user-0"));
    for role in Role::ALL {
        let department = role.needs_department().then_some(Department::CivilAffairs);
        let token = app.token_with(role, crate::helpers::region_for(role), department);
        let response = app
            .graphql(query)
            .bearer(&token)
            .purpose("AUDIT")
            .send()
            .await;
        if matches!(role, Role::Auditor | Role::Admin) {
            assert_eq!(
                response.error_codes(),
                Vec::<String>::new(),
                "{role}: {}",
                response.body
            );
        } else {
            assert_eq!(response.error_codes(), ["FORBIDDEN"], "{role}");
            assert!(!response.body.to_string().contains("user-0"), "{role}");
        }
    }
    // The refusals are in the log too.
    let refused = audit_record::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "audit.read" && r.outcome.starts_with("refused"))
        .count();
    assert_eq!(refused, 1 + Role::ALL.len() - 2);
    // And nothing in the API writes to it: no mutation names the audit log.
    use async_graphql::parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    };
    let document = parse_schema(cunhub::graphql::sdl()).unwrap();
    let mutations: Vec<String> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(ty) if ty.node.name.node == "Mutation" => Some(ty),
            _ => None,
        })
        .flat_map(|ty| match &ty.node.kind {
            TypeKind::Object(object) => object
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    assert!(
        !mutations.iter().any(|m| m.to_lowercase().contains("audit")),
        "{mutations:?}"
    );
    let mutation = app
        .graphql("mutation { deleteAuditLog }")
        .bearer(app.token(Role::Admin, "22"))
        .send()
        .await;
    assert!(!mutation.error_codes().is_empty());
}
