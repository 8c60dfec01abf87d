use std::time::Duration;

use cunhub::sim::Department;

use crate::helpers::*;

#[tokio::test]
async fn outage_and_garbage_switch_at_run_time_through_the_admin_endpoint() {
    let cluster = spawn().await;
    let client = client();
    let base = cluster
        .base_url(Department::SocialSecurity)
        .unwrap()
        .to_owned();
    let id = cluster.population.people[0].id_number.to_string();
    let call = || {
        client
            .get(format!("{base}/api/v1/persons/{id}/insurances"))
            .header("X-Api-Key", &cluster.credentials.social_api_key)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);

    let knobs: serde_json::Value = client
        .put(format!("{base}/__sim/knobs"))
        .json(&serde_json::json!({ "outage": "unavailable" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(knobs["outage"], "unavailable");
    assert_eq!(knobs["latency_ms"], 0);
    assert_eq!(call().await.unwrap().status(), 503);

    client
        .put(format!("{base}/__sim/knobs"))
        .json(&serde_json::json!({ "outage": "none", "garbage_rate": 1.0 }))
        .send()
        .await
        .unwrap();
    let text = call().await.unwrap().text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );

    client
        .put(format!("{base}/__sim/knobs"))
        .json(&serde_json::json!({ "garbage_rate": 0.0, "error_rate": 1.0 }))
        .send()
        .await
        .unwrap();
    let failed = call().await.unwrap();
    assert_eq!(failed.status(), 500);
    assert_ne!(
        failed.json::<serde_json::Value>().await.unwrap()["code"],
        "0000"
    );

    let refused = client
        .put(format!("{base}/__sim/knobs"))
        .json(&serde_json::json!({ "no_such_knob": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    let stats: serde_json::Value = client
        .get(format!("{base}/__sim/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["outages"], 1);
    assert_eq!(stats["garbage"], 1);
    assert_eq!(stats["injected_errors"], 1);
    cluster.stop().await;
}

#[tokio::test]
async fn hang_outage_makes_the_client_give_up_and_reset_drops_the_connection() {
    let cluster = spawn().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let knobs = cluster.knobs(Department::PublicSecurity).unwrap();
    let token_url = url(&cluster, Department::PublicSecurity, "/oauth/token");
    knobs
        .patch(&serde_json::json!({ "outage": "hang" }))
        .unwrap();
    let hung = client
        .post(&token_url)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());
    knobs
        .patch(&serde_json::json!({ "outage": "reset" }))
        .unwrap();
    let reset = match client
        .post(&token_url)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
    {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(reset, "the connection was not dropped");
    knobs
        .patch(&serde_json::json!({ "outage": "none" }))
        .unwrap();
    let token = police_token(&client, &cluster).await;
    assert!(!token.is_empty());
}

#[tokio::test]
async fn latency_knob_delays_answers() {
    let cluster = spawn().await;
    let client = client();
    let knobs = cluster.knobs(Department::CivilAffairs).unwrap();
    knobs
        .patch(&serde_json::json!({ "latency_ms": 300, "jitter_ms": 50 }))
        .unwrap();
    let id = cluster.population.people[0].id_number.to_string();
    let started = std::time::Instant::now();
    let (status, _, _) = post_soap(
        &client,
        &url(
            &cluster,
            Department::CivilAffairs,
            "/services/AssistanceService",
        ),
        soap("QueryAssistanceByIdCard", &[("IdCard", &id)]),
    )
    .await;
    assert_eq!(status, 200);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    cluster.stop().await;
}
