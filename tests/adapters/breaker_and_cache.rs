//! The breaker driven through its states by switching a simulator, the stale cache, and
//! the health figures and metrics.

use std::time::Duration;

use cunhub::adapters::{BreakerState, ErrorKind, Source};
use cunhub::domain::Department;
use cunhub::sim::Department as Sim;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_breaker_opens_half_opens_and_closes_with_the_department() {
    let cluster = cluster(20, |_| {}).await;
    let mut s = settings(&cluster);
    s.civil_affairs.retries = Some(0);
    s.civil_affairs.breaker_failures = Some(3);
    s.civil_affairs.breaker_cooldown = Some(Duration::from_millis(300));
    s.civil_affairs.cache_capacity = Some(0);
    let deps = departments(&s);
    let state = || deps.health_of(Department::CivilAffairs).unwrap().breaker;
    let id = id(&cluster, 0);
    knobs(
        &cluster,
        Sim::CivilAffairs,
        json!({"outage": "unavailable"}),
    );
    for _ in 0..3 {
        let e = deps
            .civil
            .assistance_by_id(&id, &ctx(1000))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
    }
    assert_eq!(state(), BreakerState::Open);
    let before = cluster.knobs(Sim::CivilAffairs).unwrap().stats().requests;
    let e = deps
        .civil
        .assistance_by_id(&id, &ctx(1000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CircuitOpen);
    assert_eq!(
        cluster.knobs(Sim::CivilAffairs).unwrap().stats().requests,
        before,
        "not called"
    );

    // Still down after the cool-down: the probe fails and the circuit opens again.
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(state(), BreakerState::HalfOpen);
    let e = deps
        .civil
        .assistance_by_id(&id, &ctx(1000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(state(), BreakerState::Open);

    // Back up: the next probe closes it.
    knobs(&cluster, Sim::CivilAffairs, json!({"outage": "none"}));
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert_eq!(state(), BreakerState::HalfOpen);
    deps.civil.assistance_by_id(&id, &ctx(1000)).await.unwrap();
    assert_eq!(state(), BreakerState::Closed);
    let health = deps.health_of(Department::CivilAffairs).unwrap();
    assert!(health.short_circuited >= 1 && health.errors >= 4 && health.last_success.is_some());
}

#[tokio::test]
async fn a_stale_answer_is_served_when_the_department_goes_down() {
    let cluster = cluster(20, |_| {}).await;
    let mut s = settings(&cluster);
    s.defaults.cache_ttl = Duration::from_millis(50);
    s.defaults.retries = 0;
    let deps = departments(&s);
    let id = id(&cluster, 0);
    let live = deps.police.person(&id, &ctx(2000)).await.unwrap();
    assert_eq!(live.source, Source::Live);
    tokio::time::sleep(Duration::from_millis(80)).await;
    knobs(
        &cluster,
        Sim::PublicSecurity,
        json!({"outage": "unavailable"}),
    );
    let stale = deps.police.person(&id, &ctx(2000)).await.unwrap();
    assert_eq!(stale.source, Source::Stale);
    assert_eq!(stale.as_of, live.as_of);
    assert_eq!(stale.value, live.value);
    // Nothing cached for another person: the failure itself.
    let other = crate::helpers::id(&cluster, 1);
    assert!(deps.police.person(&other, &ctx(2000)).await.is_err());
}

#[tokio::test]
async fn health_figures_are_exported_as_metrics() {
    let cluster = cluster(20, |_| {}).await;
    let deps = departments(&settings(&cluster));
    deps.social
        .insurances(&id(&cluster, 0), &ctx(2000))
        .await
        .unwrap();
    let registry = prometheus::Registry::new();
    deps.register_metrics(&registry).unwrap();
    let families = registry.gather();
    let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
    for expected in [
        "department_breaker_state",
        "department_latency_seconds",
        "department_attempts_total",
        "department_errors_total",
        "department_rate_limited_total",
        "department_calls_in_flight",
        "department_last_success_timestamp_seconds",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let health = deps.health();
    // The four adapters and one system of each declared department, which these
    // settings leave without an address.
    assert_eq!(health.len(), 7);
    let unconfigured: Vec<Department> = health
        .iter()
        .filter(|h| !h.configured)
        .map(|h| h.department)
        .collect();
    assert_eq!(
        unconfigured,
        [
            Department::VeteransAffairs,
            Department::Health,
            Department::Agriculture
        ]
    );
    let social = health
        .iter()
        .find(|h| h.department == Department::SocialSecurity)
        .unwrap();
    assert_eq!(social.attempts, 1);
    assert!(social.latency.is_some());
}
