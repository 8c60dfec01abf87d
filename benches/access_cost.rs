//! What the access machinery costs per request, component by component: verifying the
//! bearer token, deciding and masking every field group of a resident, and writing the
//! audit record (alone, and group-committed under concurrency) on SQLite.
//! Run with `cargo bench --bench access_cost`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use cunhub::{
    audit::{Actor, AuditEvent, AuditLog},
    auth::{AuthSettings, JwtVerifier, Principal, Role, TokenRequest, mint_development_token},
    domain::{RegionCode, masking},
    policy::{FieldGroup, Policy},
    store::{self, DatabaseSettings},
};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

fn per_op(label: &str, n: u32, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let started = Instant::now();
    for _ in 0..n {
        f();
    }
    let each = started.elapsed() / n;
    println!("{label:<58} {:>8.2} µs", each.as_secs_f64() * 1e6);
}

async fn run() {
    let auth = AuthSettings::default();
    let verifier = JwtVerifier::from_settings(&auth).unwrap();
    let token = mint_development_token(
        &auth,
        &TokenRequest {
            subject: Some("bench".into()),
            role: Role::VillageAssistant,
            region: RegionCode::parse("220122101201").unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(3600),
        },
    )
    .unwrap();
    println!("per request:");
    let n = 20_000;
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(verifier.verify(&token).await.unwrap());
    }
    let each = started.elapsed() / n;
    println!(
        "{:<58} {:>8.2} µs",
        "verify the bearer token (HS256, pinned, exp/nbf/iss/aud)",
        each.as_secs_f64() * 1e6
    );

    let policy = Policy::built_in().unwrap();
    let principal: Principal = verifier.verify(&token).await.unwrap();
    per_op(
        "decide all 12 field groups of one resident",
        200_000,
        || {
            for group in FieldGroup::ALL {
                std::hint::black_box(policy.visibility(
                    &principal,
                    group,
                    cunhub::policy::Subject::Adult,
                ));
            }
        },
    );
    per_op("mask ID number, phone, name and address", 200_000, || {
        std::hint::black_box(masking::id_number("220122195603020017"));
        std::hint::black_box(masking::phone("13812345678"));
        std::hint::black_box(masking::name("欧阳娜娜"));
        std::hint::black_box(masking::address("吉林省长春市农安县合隆镇陈家店村三组12号"));
    });

    let dir = tempfile::tempdir().unwrap();
    let db = store::connect(&DatabaseSettings {
        url: format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("audit.db").display()
        ),
        max_connections: 4,
    })
    .await
    .unwrap();
    cunhub::startup::prepare_database(&db).await.unwrap();
    let log = AuditLog::spawn(db.clone());
    let actor = Actor {
        subject: "bench".into(),
        role: "village_assistant".into(),
        region: "220122101201".into(),
        purpose: Some("VISIT".into()),
        case_ref: None,
        request_id: "bench".into(),
    };
    let event = || {
        AuditEvent::resident_read(
            &actor,
            "R0123456789abcdef01234567",
            vec!["civil_affairs".into()],
            vec!["identity".into()],
        )
    };
    let n = 2_000;
    let started = Instant::now();
    for _ in 0..n {
        log.record(vec![event()]).await.unwrap();
    }
    let alone = started.elapsed() / n;
    println!(
        "{:<58} {:>8.2} µs",
        "write one audit record, one request at a time (SQLite)",
        alone.as_secs_f64() * 1e6
    );

    let writers = 32;
    let each = 200;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let log = log.clone();
        let actor = actor.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..each {
                let event = AuditEvent::resident_read(
                    &actor,
                    "R0123456789abcdef01234567",
                    vec![],
                    vec!["identity".into()],
                );
                log.record(vec![event]).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let total = writers * each;
    let elapsed = started.elapsed();
    println!(
        "{:<58} {:>8.2} µs  ({:.0} records/s)",
        "write one audit record, 32 requests at once (group commit)",
        elapsed.as_secs_f64() * 1e6 / f64::from(total),
        f64::from(total) / elapsed.as_secs_f64()
    );
    let report = cunhub::audit::verify(&db).await.unwrap();
    println!(
        "audit chain after the run: {} records, intact: {}",
        report.records,
        report.broken.is_none()
    );
}
