//! Each fault a department can show, and what the adapters make of it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cunhub::adapters::{AdapterError, ErrorKind};
use cunhub::sim::Department as Sim;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::helpers::*;

#[tokio::test]
async fn an_outage_is_unavailable() {
    let cluster = cluster(20, |_| {}).await;
    let mut s = settings(&cluster);
    s.defaults.retries = 0;
    let deps = departments(&s);
    let id = id(&cluster, 0);
    knobs(
        &cluster,
        Sim::SocialSecurity,
        json!({"outage": "unavailable"}),
    );
    let e = deps.social.insurances(&id, &ctx(2000)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(e.code(), "DEPARTMENT_UNAVAILABLE");
    knobs(&cluster, Sim::PublicSecurity, json!({"outage": "reset"}));
    let e = deps.police.person(&id, &ctx(2000)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn slowness_past_the_deadline_times_out_without_a_late_retry() {
    let cluster = cluster(20, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let id = id(&cluster, 0);
    knobs(&cluster, Sim::SocialSecurity, json!({"latency_ms": 2000}));
    let started = Instant::now();
    let e = deps.social.insurances(&id, &ctx(300)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        e,
        AdapterError::Timeout {
            department: cunhub::domain::Department::SocialSecurity
        }
    );
    assert!(elapsed >= Duration::from_millis(290), "{elapsed:?}");
    assert!(elapsed <= Duration::from_millis(400), "{elapsed:?}");
    // A hung department: the same.
    knobs(&cluster, Sim::CivilAffairs, json!({"outage": "hang"}));
    let started = Instant::now();
    let e = deps
        .civil
        .assistance_by_id(&id, &ctx(250))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() <= Duration::from_millis(350));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        cluster.knobs(Sim::SocialSecurity).unwrap().stats().requests,
        1,
        "no retry"
    );
    assert_eq!(
        cluster.knobs(Sim::CivilAffairs).unwrap().stats().requests,
        1,
        "no retry"
    );
}

#[tokio::test]
async fn rate_limited_then_success_after_retry_after() {
    let cluster = cluster(20, |_| {}).await;
    let deps = departments(&settings(&cluster));
    knobs(
        &cluster,
        Sim::SocialSecurity,
        json!({"rate_limit_per_sec": 1}),
    );
    let ctx = ctx(5000);
    deps.social
        .insurances(&id(&cluster, 0), &ctx)
        .await
        .unwrap();
    let started = Instant::now();
    let second = deps.social.insurances(&id(&cluster, 1), &ctx).await;
    assert!(second.is_ok(), "{second:?}");
    let stats = cluster.knobs(Sim::SocialSecurity).unwrap().stats();
    assert!(stats.rate_limited >= 1, "{stats:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After"
    );
    let health = deps
        .health_of(cunhub::domain::Department::SocialSecurity)
        .unwrap();
    assert!(health.rate_limited >= 1);

    // Not enough time left for the wait: the failure is returned at once.
    let started = Instant::now();
    let e = deps
        .social
        .insurances(&id(&cluster, 2), &crate::helpers::ctx(500))
        .await;
    if let Err(e) = e {
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(started.elapsed() < Duration::from_millis(400));
    }
}

#[tokio::test]
async fn medical_fan_out_stays_within_16_in_flight() {
    let cluster = cluster(60, |_| {}).await;
    knobs(&cluster, Sim::MedicalInsurance, json!({"latency_ms": 30}));
    let deps = departments(&settings(&cluster));
    let ids: Vec<_> = (0..80).map(|i| id(&cluster, i)).collect();
    let results = deps.medical.people(&ids, &ctx(10_000)).await;
    assert_eq!(results.len(), 80);
    assert!(results.values().all(Result::is_ok));
    let stats = cluster.knobs(Sim::MedicalInsurance).unwrap().stats();
    assert_eq!(stats.busy, 0, "{stats:?}");
    assert!(stats.max_in_flight_seen <= 16, "{stats:?}");
}

#[tokio::test]
async fn medical_busy_answers_are_backed_off_and_retried() {
    let cluster = cluster(60, |_| {}).await;
    knobs(
        &cluster,
        Sim::MedicalInsurance,
        json!({"latency_ms": 30, "max_in_flight": 4}),
    );
    let mut s = settings(&cluster);
    s.medical_insurance.max_in_flight = Some(12);
    s.medical_insurance.retries = Some(8);
    let deps = departments(&s);
    let ids: Vec<_> = (0..24).map(|i| id(&cluster, i)).collect();
    let results = deps.medical.people(&ids, &ctx(20_000)).await;
    let stats = cluster.knobs(Sim::MedicalInsurance).unwrap().stats();
    assert!(stats.busy > 0, "{stats:?}");
    let ok = results.values().filter(|r| r.is_ok()).count();
    let busy = results
        .values()
        .filter(|r| matches!(r, Err(AdapterError::Busy { .. })))
        .count();
    assert_eq!(ok + busy, 24);
    assert!(ok >= 20, "most get through after backing off: {ok}");
}

#[tokio::test]
async fn the_police_token_is_renewed_when_it_expires_mid_run() {
    let cluster = cluster(20, |o| o.police_auth.token_ttl = Duration::from_secs(1)).await;
    let deps = departments(&settings(&cluster));
    for i in 0..4 {
        let found = deps
            .police
            .person(&id(&cluster, i), &ctx(3000))
            .await
            .unwrap();
        assert!(found.value.is_some());
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let stats = cluster.knobs(Sim::PublicSecurity).unwrap().stats();
    let tokens = stats.by_operation.get("token").copied().unwrap_or(0);
    assert!((2..=4).contains(&tokens), "{stats:?}");
}

#[tokio::test]
async fn garbage_answers_are_decode_errors() {
    let cluster = cluster(20, |_| {}).await;
    let deps = departments(&settings(&cluster));
    let id = id(&cluster, 0);
    for d in [
        Sim::MedicalInsurance,
        Sim::SocialSecurity,
        Sim::CivilAffairs,
        Sim::PublicSecurity,
    ] {
        knobs(&cluster, d, json!({"garbage_rate": 1.0}));
    }
    let ctx = ctx(3000);
    let dept_id = {
        // Civil affairs has records only for assistance recipients; ask one of them.
        let i = people(&cluster, |p| !p.assistance.is_empty())[0];
        crate::helpers::id(&cluster, i)
    };
    assert_eq!(
        deps.medical.person(&id, &ctx).await.unwrap_err().kind(),
        ErrorKind::Decode
    );
    assert_eq!(
        deps.social.insurances(&id, &ctx).await.unwrap_err().kind(),
        ErrorKind::Decode
    );
    assert_eq!(
        deps.civil
            .assistance_by_id(&dept_id, &ctx)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Decode
    );
    // The token answer itself is cut: still a decode error, never a panic.
    assert_eq!(
        deps.police.person(&id, &ctx).await.unwrap_err().kind(),
        ErrorKind::Decode
    );
}

#[tokio::test]
async fn errors_never_carry_urls_credentials_or_answers() {
    let cluster = cluster(20, |_| {}).await;
    let mut s = settings(&cluster);
    s.social_security.api_key = Some(secrecy::SecretString::from("wrong-key-1234".to_owned()));
    s.public_security.client_secret =
        Some(secrecy::SecretString::from("wrong-secret-5678".to_owned()));
    let deps = departments(&s);
    let id = id(&cluster, 0);
    let errors = [
        deps.social.insurances(&id, &ctx(2000)).await.unwrap_err(),
        deps.police.person(&id, &ctx(2000)).await.unwrap_err(),
    ];
    for e in errors {
        let text = format!("{e} {e:?}");
        assert_eq!(e.kind(), ErrorKind::Rejected, "{text}");
        for secret in [
            "wrong-key-1234",
            "wrong-secret-5678",
            "127.0.0.1",
            "http",
            id.as_str(),
        ] {
            assert!(!text.contains(secret), "{text} contains {secret}");
        }
    }
    let unconfigured = cunhub::adapters::Departments::new(&Default::default()).unwrap();
    let e = unconfigured
        .medical
        .person(&id, &ctx(1000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConfigured);
}

/// Answers every request on `listener` with `answer`, counting the requests.
fn answer_all(listener: TcpListener, answer: String) -> Arc<AtomicUsize> {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    asked
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_key_goes_nowhere_else() {
    let cluster = cluster(20, |_| {}).await;
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere_address = elsewhere.local_addr().unwrap();
    let body = r#"{"code":"0000","message":"ok","data":null}"#;
    let reached = answer_all(
        elsewhere,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_address = front.local_addr().unwrap();
    let asked = answer_all(
        front,
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://{elsewhere_address}/api/v1/persons\r\n\
             content-length: 0\r\n\r\n"
        ),
    );
    let mut s = settings(&cluster);
    s.social_security.base_url = format!("http://{front_address}");
    let deps = departments(&s);
    let e = deps
        .social
        .insurances(&id(&cluster, 0), &ctx(2000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected, "{e}");
    assert!(asked.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}
