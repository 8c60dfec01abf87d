use std::collections::HashSet;
use std::time::Duration;

use cunhub::sim::Department;

use crate::helpers::*;

#[tokio::test]
async fn tokens_come_from_client_credentials_by_form_or_basic() {
    let cluster = spawn().await;
    let client = client();
    let creds = &cluster.credentials;
    let token_url = url(&cluster, Department::PublicSecurity, "/oauth/token");
    let basic: serde_json::Value = client
        .post(&token_url)
        .basic_auth(&creds.police_client_id, Some(&creds.police_client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(basic["token_type"], "Bearer");
    assert_eq!(basic["expires_in"], 300);
    let wrong = client
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cunhub"),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let grant = client
        .post(&token_url)
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 400);
    assert_eq!(
        grant.json::<serde_json::Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    let person = &cluster.population.people[0];
    let lookup = url(&cluster, Department::PublicSecurity, "/hjxx/v2/persons");
    let none = client
        .get(&lookup)
        .query(&[("sfzh", person.id_number.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let bad = client
        .get(&lookup)
        .bearer_auth("forged")
        .query(&[("sfzh", person.id_number.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let body: serde_json::Value = client
        .get(&lookup)
        .bearer_auth(basic["access_token"].as_str().unwrap())
        .query(&[("sfzh", person.id_number.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["sfzh"], person.id_number.as_str());
    assert_eq!(body["xm"], person.name.as_str());
    assert_eq!(body["xb"], person.sex.code());
    assert_eq!(body["mz"], person.ethnicity.code());
    assert_eq!(
        body["csrq"],
        person.birth_date().format("%Y%m%d").to_string()
    );
    assert_eq!(body["yhzgx"], "02");
    assert!(["1", "2", "3"].contains(&body["hjzt"].as_str().unwrap()));
    assert!(
        body["hjdz"]
            .as_str()
            .unwrap()
            .starts_with("吉林省长春市农安县")
    );
    cluster.stop().await;
}

#[tokio::test]
async fn an_expired_token_gets_401() {
    let cluster = spawn_with(|o| o.police_auth.token_ttl = Duration::from_secs(1)).await;
    let client = client();
    let token = police_token(&client, &cluster).await;
    let id = cluster.population.people[0].id_number.to_string();
    let lookup = url(&cluster, Department::PublicSecurity, "/hjxx/v2/persons");
    let ok = client
        .get(&lookup)
        .bearer_auth(&token)
        .query(&[("sfzh", &id)])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let expired = client
        .get(&lookup)
        .bearer_auth(&token)
        .query(&[("sfzh", &id)])
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert!(
        expired.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    cluster.stop().await;
}

#[tokio::test]
async fn households_have_one_head_and_unknowns_are_404() {
    let cluster = spawn().await;
    let client = client();
    let token = police_token(&client, &cluster).await;
    let hh = cluster.population.household_number(3);
    let body: serde_json::Value = client
        .get(url(
            &cluster,
            Department::PublicSecurity,
            &format!("/hjxx/v2/households/{hh}"),
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let members = body["cys"].as_array().unwrap();
    assert_eq!(members.iter().filter(|m| m["yhzgx"] == "02").count(), 1);
    assert!(members.iter().all(|m| m["hh"] == hh.as_str()));
    let missing = client
        .get(url(
            &cluster,
            Department::PublicSecurity,
            "/hjxx/v2/households/2201221012019999",
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let unknown = client
        .get(url(
            &cluster,
            Department::PublicSecurity,
            "/hjxx/v2/persons",
        ))
        .bearer_auth(&token)
        .query(&[("sfzh", "11010519491231002X")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    cluster.stop().await;
}

async fn page_all(
    client: &reqwest::Client,
    cluster: &cunhub::sim::SimCluster,
    token: &str,
    code: &str,
    limit: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let body: serde_json::Value = client
            .get(url(
                cluster,
                Department::PublicSecurity,
                &format!("/hjxx/v2/villages/{code}/persons"),
            ))
            .bearer_auth(token)
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in body["items"].as_array().unwrap() {
            ids.push(item["sfzh"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    ids
}

#[tokio::test]
async fn cursor_paging_lists_every_resident_of_a_village_or_township_once() {
    let cluster = spawn().await;
    let client = client();
    let token = police_token(&client, &cluster).await;
    let pop = &cluster.population;
    let village = &pop.villages[2];
    let ids = page_all(&client, &cluster, &token, village.code.as_str(), 7).await;
    let expected: Vec<String> = pop.people
        [village.people.start as usize..village.people.end as usize]
        .iter()
        .map(|p| p.id_number.to_string())
        .collect();
    assert_eq!(ids, expected);
    let township = page_all(&client, &cluster, &token, "220122101", 500).await;
    assert_eq!(township.len(), pop.people.len());
    assert_eq!(
        township.iter().collect::<HashSet<_>>().len(),
        pop.people.len()
    );
    let bad = client
        .get(url(
            &cluster,
            Department::PublicSecurity,
            &format!("/hjxx/v2/villages/{}/persons", village.code),
        ))
        .bearer_auth(&token)
        .query(&[("cursor", "garbage!")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    cluster.stop().await;
}
