//! Several instances, one hub: department budgets and client limits shared through
//! Redis, and each instance's share when Redis is gone. The simulators' own counters are
//! the proof.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

use std::time::Duration;

use cunhub::{auth::Role, sim::Department};
use futures_util::future::join_all;
use serde_json::json;

use helpers::{Pair, spawn_pair};

/// A page of `first` residents of `village` with their medical insurance: one medical
/// call per person.
fn medical_page(village: &str, first: u32) -> String {
    format!(
        r#"{{ residents(region: "{village}", first: {first}) {{ nodes {{ medicalInsurance {{ enrolments {{ scheme }} }} }} }} }}"#
    )
}

/// Four pages at once, two through each instance; every one answered in full.
async fn load_both(pair: &Pair, per_page: u32) {
    let villages: Vec<String> = pair
        .cluster
        .population
        .villages
        .iter()
        .take(2)
        .map(|v| v.code.to_string())
        .collect();
    let token = pair.hubs[0].token(Role::Admin, "load", None);
    let pages = (0..4).map(|i| {
        let hub = &pair.hubs[i % 2];
        let query = medical_page(&villages[i / 2], per_page);
        let token = token.clone();
        async move { hub.graphql(&query, &token).await }
    });
    for answer in join_all(pages).await {
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        let nodes = answer.body["data"]["residents"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(nodes.len(), per_page as usize);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_together_never_hold_more_calls_in_flight_than_the_department_takes() {
    const IN_FLIGHT: u32 = 4;
    let pair = spawn_pair(25, |s| {
        s.departments.medical_insurance.max_in_flight = Some(IN_FLIGHT);
        s.departments.defaults.cache_ttl = Duration::from_millis(1);
        s.server.request_deadline = Duration::from_secs(20);
    })
    .await;
    let medical = pair.cluster.knobs(Department::MedicalInsurance).unwrap();
    // Beyond four calls at once the platform answers "busy".
    medical
        .patch(&json!({ "latency_ms": 40, "max_in_flight": IN_FLIGHT }))
        .unwrap();
    medical.reset_stats();
    load_both(&pair, 25).await;
    let stats = medical.stats();
    assert_eq!(stats.requests, 100, "{stats:?}");
    assert_eq!(stats.busy, 0, "{stats:?}");
    assert!(stats.max_in_flight_seen <= IN_FLIGHT, "{stats:?}");
    for hub in &pair.hubs {
        assert_eq!(hub.ready().await["coordination"]["mode"], "shared");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_together_keep_to_the_departments_rate() {
    const RATE: u32 = 40;
    let pair = spawn_pair(25, |s| {
        s.departments.medical_insurance.rate_per_sec = Some(RATE);
        s.departments.defaults.cache_ttl = Duration::from_millis(1);
        s.server.request_deadline = Duration::from_secs(20);
    })
    .await;
    let medical = pair.cluster.knobs(Department::MedicalInsurance).unwrap();
    // A token bucket of 40 a second (and a burst of 40): each instance pacing itself at
    // 40 a second would be refused within the first second and a half.
    medical
        .patch(&json!({ "latency_ms": 5, "rate_limit_per_sec": RATE }))
        .unwrap();
    medical.reset_stats();
    let started = std::time::Instant::now();
    load_both(&pair, 25).await;
    let stats = medical.stats();
    assert_eq!(stats.requests, 100, "{stats:?}");
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    // 100 calls at 40 a second, in slices of four every 100 ms.
    assert!(started.elapsed() >= Duration::from_millis(2_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_limits_count_its_requests_on_every_instance() {
    let pair = spawn_pair(2, |s| {
        let limits = s.client_limits.0.entry("admin".into()).or_default();
        limits.subject_per_day = 3;
        limits.client_per_day = 5;
    })
    .await;
    let [a, b] = &pair.hubs;
    let first = a.token(Role::Admin, "clerk-1", Some("village-app"));
    let second = a.token(Role::Admin, "clerk-2", Some("village-app"));
    let query = "{ __typename }";
    // Three for the first subject, alternating instances: the allowance falls by one each.
    for (i, hub) in [a, b, a].into_iter().enumerate() {
        let answer = hub.graphql(query, &first).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let current = answer.header("ratelimit").unwrap();
        assert!(
            current.starts_with(&format!("\"subject-day\";r={};t=", 2 - i)),
            "{current}"
        );
        assert_eq!(
            answer.header("ratelimit-policy"),
            Some("\"subject-day\";q=3;w=86400, \"client-day\";q=5;w=86400")
        );
    }
    let refused = b.graphql(query, &first).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.error_codes(), ["RATE_LIMITED"]);
    assert_eq!(
        refused.body["errors"][0]["extensions"]["policy"],
        "subject-day"
    );
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry_after));
    assert!(refused.header("ratelimit").unwrap().contains(";r=0;"));
    // The application's own allowance is shared by its users: two more, then refused.
    for hub in [b, a] {
        assert_eq!(hub.graphql(query, &second).await.status, 200);
    }
    let refused = b.graphql(query, &second).await;
    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.body["errors"][0]["extensions"]["policy"],
        "client-day"
    );
    // Another role's callers have no limits and no fields.
    let auditor = a.token(Role::Auditor, "auditor-1", Some("village-app"));
    let free = a.graphql(query, &auditor).await;
    assert_eq!(free.status, 200);
    assert_eq!(free.header("ratelimit"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_instance_keeps_to_its_share_says_so_and_serves() {
    const IN_FLIGHT: u32 = 4;
    let pair = spawn_pair(20, |s| {
        // Nothing listens on port 1.
        s.coordination.url = "redis://127.0.0.1:1/0".into();
        s.departments.medical_insurance.max_in_flight = Some(IN_FLIGHT);
        s.departments.defaults.cache_ttl = Duration::from_millis(1);
        s.server.request_deadline = Duration::from_secs(20);
        s.client_limits
            .0
            .entry("admin".into())
            .or_default()
            .subject_per_day = 2;
    })
    .await;
    let medical = pair.cluster.knobs(Department::MedicalInsurance).unwrap();
    // The share of one instance of two: two calls at once.
    medical
        .patch(&json!({ "latency_ms": 30, "max_in_flight": IN_FLIGHT / 2 }))
        .unwrap();
    medical.reset_stats();
    let [a, _] = &pair.hubs;
    let village = pair.cluster.population.villages[0].code.to_string();
    let token = a.token(Role::Admin, "alone", None);
    let answer = a.graphql(&medical_page(&village, 20), &token).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let stats = medical.stats();
    // Everyone insured was asked (a page may hold someone the platform does not know).
    assert!(stats.requests >= 15, "{stats:?}");
    assert_eq!(stats.busy, 0, "{stats:?}");
    assert!(stats.max_in_flight_seen <= IN_FLIGHT / 2, "{stats:?}");
    let ready = a.ready().await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["coordination"]["mode"], "alone", "{ready}");
    assert!(ready["coordination"]["reason"].is_string(), "{ready}");
    assert!(a.metrics().await.contains("coordination_alone 1"));
    // The client's limit (two a day) is counted by this instance alone.
    assert_eq!(a.graphql("{ __typename }", &token).await.status, 200);
    assert_eq!(a.graphql("{ __typename }", &token).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_returns_to_shared_budgets_when_redis_is_back() {
    let mut redis = helpers::OwnRedis::start();
    let url = redis.url();
    let pair = spawn_pair(2, |s| {
        s.coordination.url = url;
        s.coordination.retry_after = Duration::from_millis(200);
        s.client_limits
            .0
            .entry("admin".into())
            .or_default()
            .subject_per_day = 1_000;
    })
    .await;
    let [a, _] = &pair.hubs;
    let token = a.token(Role::Admin, "returning", None);
    assert_eq!(a.graphql("{ __typename }", &token).await.status, 200);
    assert_eq!(a.ready().await["coordination"]["mode"], "shared");
    redis.stop();
    assert_eq!(a.graphql("{ __typename }", &token).await.status, 200);
    assert_eq!(a.ready().await["coordination"]["mode"], "alone");
    redis.restart();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut mode = String::new();
    for _ in 0..20 {
        assert_eq!(a.graphql("{ __typename }", &token).await.status, 200);
        mode = a.ready().await["coordination"]["mode"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if mode == "shared" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mode, "shared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_its_limit_a_socket_operation_gets_a_typed_error_and_the_socket_stays() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let pair = spawn_pair(2, |s| {
        s.client_limits
            .0
            .entry("admin".into())
            .or_default()
            .subject_per_day = 2;
    })
    .await;
    let [a, b] = &pair.hubs;
    let token = a.token(Role::Admin, "socket-user", None);
    // One request over HTTP on the other instance; the socket has one left.
    assert_eq!(b.graphql("{ __typename }", &token).await.status, 200);
    let url = format!("{}/graphql", a.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: serde_json::Value| Message::text(value.to_string());
    socket
        .send(send(
            json!({ "type": "connection_init", "payload": { "token": token } }),
        ))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let subscribe = |id: &str| {
        send(json!({ "id": id, "type": "subscribe", "payload": { "query": "{ __typename }" } }))
    };
    socket.send(subscribe("1")).await.unwrap();
    let first = next(&mut socket).await;
    assert_eq!(
        (first["id"].as_str(), first["type"].as_str()),
        (Some("1"), Some("next")),
        "{first}"
    );
    assert_eq!(next(&mut socket).await["type"], "complete");
    socket.send(subscribe("2")).await.unwrap();
    let refused = next(&mut socket).await;
    assert_eq!(refused["id"], "2", "{refused}");
    let errors = if refused["type"] == "error" {
        refused["payload"].clone()
    } else {
        refused["payload"]["errors"].clone()
    };
    assert_eq!(errors[0]["extensions"]["code"], "RATE_LIMITED", "{refused}");
    assert_eq!(
        errors[0]["extensions"]["policy"], "subject-day",
        "{refused}"
    );
    // The socket is still open: a ping is answered.
    socket.send(send(json!({ "type": "ping" }))).await.unwrap();
    loop {
        let message = next(&mut socket).await;
        if message["type"] == "pong" {
            break;
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message of `socket`, as JSON.
async fn next(socket: &mut Socket) -> serde_json::Value {
    use futures_util::StreamExt;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_places_of_an_instance_that_died_return_after_their_time_to_live() {
    use cunhub::{
        adapters::{AdapterError, CallContext, Departments},
        coordination::Coordination,
    };
    let pair = spawn_pair(2, |s| {
        s.departments.medical_insurance.max_in_flight = Some(2);
        s.departments.defaults.cache_ttl = Duration::from_millis(1);
        s.departments.defaults.retries = 0;
        s.coordination.permit_ttl = Duration::from_secs(1);
    })
    .await;
    let settings = &pair.hubs[0].settings;
    let person = pair.cluster.population.people[0].id_number;
    let medical = pair.cluster.knobs(Department::MedicalInsurance).unwrap();
    medical.patch(&json!({ "latency_ms": 3_000 })).unwrap();
    // An instance takes both places, then dies: no renewal, nothing given back.
    let doomed = std::sync::Arc::new(
        Departments::with_coordination(
            &settings.departments,
            &Coordination::new(&settings.coordination).unwrap(),
        )
        .unwrap(),
    );
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let doomed = doomed.clone();
            tokio::spawn(async move {
                let ctx = CallContext::new(Duration::from_secs(10));
                doomed.medical.person(&person, &ctx).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for call in &calls {
        call.abort();
    }
    drop(doomed);
    medical.patch(&json!({ "latency_ms": 0 })).unwrap();
    let survivor = Departments::with_coordination(
        &settings.departments,
        &Coordination::new(&settings.coordination).unwrap(),
    )
    .unwrap();
    let quick = CallContext::new(Duration::from_millis(200));
    assert!(matches!(
        survivor.medical.person(&person, &quick).await,
        Err(AdapterError::Timeout { .. })
    ));
    let started = std::time::Instant::now();
    let patient = CallContext::new(Duration::from_secs(5));
    assert!(survivor.medical.person(&person, &patient).await.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited for the lease to lapse"
    );
}
