use cunhub::sim::Department;
use cunhub::sim::population::NameSource;

use crate::helpers::*;

#[tokio::test]
async fn the_api_key_is_required_and_checked() {
    let cluster = spawn().await;
    let client = client();
    let id = cluster.population.people[0].id_number.to_string();
    let url = url(
        &cluster,
        Department::SocialSecurity,
        &format!("/api/v1/persons/{id}/insurances"),
    );
    let missing = client.get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_ne!(body["code"], "0000");
    assert!(body["message"].is_string());
    let wrong = client
        .get(&url)
        .header("X-Api-Key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    cluster.stop().await;
}

#[tokio::test]
async fn insurances_carry_jinbao_codes_and_the_pension_block() {
    let cluster = spawn().await;
    let client = client();
    let pop = &cluster.population;
    let (index, person) = pop
        .people
        .iter()
        .enumerate()
        .find(|(_, p)| p.is_normal() && p.social.and_then(|s| s.pension).is_some())
        .unwrap();
    let id = person.id_number.as_str();
    let body: serde_json::Value = client
        .get(url(
            &cluster,
            Department::SocialSecurity,
            &format!("/api/v1/persons/{id}/insurances"),
        ))
        .header("X-Api-Key", &cluster.credentials.social_api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "0000");
    assert_eq!(body["message"], "成功");
    let data = &body["data"];
    assert_eq!(data["aac002"], id);
    assert_eq!(
        data["aac003"],
        pop.department_name(index, NameSource::Social).as_ref()
    );
    assert_eq!(data["aac004"], person.sex.code());
    assert_eq!(
        data["aac006"],
        person.birth_date().format("%Y%m%d").to_string()
    );
    assert!(data["aac001"].is_string());
    assert_eq!(data["page"], 1);
    assert_eq!(data["total"], data["list"].as_array().unwrap().len());
    let first = &data["list"][0];
    assert!(["110", "120", "170"].contains(&first["aae140"].as_str().unwrap()));
    assert!(first["aae030"].as_str().unwrap().len() == 6);
    let pension = person.social.unwrap().pension.unwrap();
    assert_eq!(
        data["aic"]["last_cert_date"],
        pension.last_cert.format("%Y-%m-%d").to_string()
    );
    assert_eq!(data["aic"]["aae116"], "1");
    assert!(
        (data["aic"]["aic166"].as_f64().unwrap() * 100.0 - f64::from(pension.monthly_cents)).abs()
            < 0.5
    );

    let unknown = client
        .get(url(
            &cluster,
            Department::SocialSecurity,
            "/api/v1/persons/11010519491231002X/insurances",
        ))
        .header("X-Api-Key", &cluster.credentials.social_api_key)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_ne!(body["code"], "0000");
    let bad = client
        .get(url(
            &cluster,
            Department::SocialSecurity,
            "/api/v1/persons/12345/insurances",
        ))
        .header("X-Api-Key", &cluster.credentials.social_api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    cluster.stop().await;
}

#[tokio::test]
async fn batch_query_takes_up_to_one_hundred() {
    let cluster = spawn().await;
    let client = client();
    let pop = &cluster.population;
    let insured: Vec<String> = pop
        .people
        .iter()
        .filter(|p| p.social.is_some())
        .take(99)
        .map(|p| p.id_number.to_string())
        .collect();
    let mut ids = insured.clone();
    ids.push("11010519491231002X".into());
    let url = url(
        &cluster,
        Department::SocialSecurity,
        "/api/v1/insurances:batchQuery",
    );
    let key = cluster.credentials.social_api_key.clone();
    let body: serde_json::Value = client
        .post(&url)
        .header("X-Api-Key", &key)
        .json(&serde_json::json!({ "aac002": ids }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "0000", "{body}");
    assert_eq!(body["data"]["list"].as_array().unwrap().len(), 99);
    assert_eq!(body["data"]["notFound"][0], "11010519491231002X");
    let stats = cluster.knobs(Department::SocialSecurity).unwrap().stats();
    assert_eq!(stats.by_operation["batchQuery"], 1);
    assert_eq!(stats.persons_asked, 100);

    ids.push(insured[0].clone());
    let too_many = client
        .post(&url)
        .header("X-Api-Key", &key)
        .json(&serde_json::json!({ "aac002": ids }))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 400);
    let body: serde_json::Value = too_many.json().await.unwrap();
    assert_ne!(body["code"], "0000");
    let garbage = client
        .post(&url)
        .header("X-Api-Key", &key)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    cluster.stop().await;
}

#[tokio::test]
async fn employment_answers_status_and_paged_trainings() {
    let cluster = spawn().await;
    let client = client();
    let person = cluster
        .population
        .people
        .iter()
        .find(|p| p.social.is_some_and(|s| s.trainings >= 2))
        .unwrap();
    let id = person.id_number.as_str();
    let body: serde_json::Value = client
        .get(url(
            &cluster,
            Department::SocialSecurity,
            &format!("/api/v1/persons/{id}/employment?page=1&pageSize=1"),
        ))
        .header("X-Api-Key", &cluster.credentials.social_api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "0000");
    assert!(["0", "1", "2", "3"].contains(&body["data"]["status"].as_str().unwrap()));
    assert_eq!(body["data"]["trainings"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"]["total"], person.social.unwrap().trainings);
    cluster.stop().await;
}

#[tokio::test]
async fn over_the_rate_limit_answers_429_with_retry_after() {
    let cluster = spawn().await;
    let client = client();
    let knobs = cluster.knobs(Department::SocialSecurity).unwrap();
    knobs
        .patch(&serde_json::json!({ "rate_limit_per_sec": 5 }))
        .unwrap();
    let id = cluster.population.people[0].id_number.to_string();
    let url = url(
        &cluster,
        Department::SocialSecurity,
        &format!("/api/v1/persons/{id}/insurances"),
    );
    let mut limited = None;
    for _ in 0..20 {
        let response = client
            .get(&url)
            .header("X-Api-Key", &cluster.credentials.social_api_key)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("no 429 within 20 quick calls at 5/s");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_ne!(body["code"], "0000");
    assert!(knobs.stats().rate_limited >= 1);
    cluster.stop().await;
}
