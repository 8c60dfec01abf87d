//! The public service list of each village (`villageServices`): what the catalogue says
//! for the village's province, prefecture and county, read with no token, naming no
//! person and logging no read of one.

use std::collections::BTreeMap;

use cunhub::auth::Role;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const VILLAGE: &str = "220122101201";

const LIST: &str = "query($village: String!, $after: String) {
  villageServices(village: $village, first: 10, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { code name department level issuedBy modes materials timeLimitDays retiredAt }
  }
}";

/// An item of the shipped catalogue file, read here apart from the hub's own reader.
#[derive(Deserialize)]
struct ShippedItem {
    code: String,
    name: String,
    region: Option<String>,
    modes: Vec<String>,
    #[serde(default)]
    materials: Vec<String>,
    time_limit_days: i64,
}

#[derive(Deserialize)]
struct ShippedFile {
    item: Vec<ShippedItem>,
}

/// What the catalogue file says `village` handles: the items issued by the province,
/// the village's prefecture or its county, by code.
fn expected_for(village: &str) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalogue/jilin.toml"),
    )
    .unwrap();
    let file: ShippedFile = toml::from_str(&text).unwrap();
    file.item
        .into_iter()
        .filter(|item| {
            let issuer = item.region.clone().unwrap_or_else(|| "22".into());
            [&village[..2], &village[..4], &village[..6]].contains(&issuer.as_str())
        })
        .map(|item| {
            let issuer = item.region.unwrap_or_else(|| "22".into());
            (
                item.code.clone(),
                json!({
                    "code": item.code, "name": item.name, "issuedBy": issuer,
                    "modes": item.modes, "materials": item.materials,
                    "timeLimitDays": item.time_limit_days, "retiredAt": null,
                }),
            )
        })
        .collect()
}

/// Every item of the village's list, page by page, anonymously.
async fn listed(app: &TestApp, village: &str) -> BTreeMap<String, Value> {
    let mut items = BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql(LIST)
            .variables(json!({ "village": village, "after": after }))
            .send()
            .await;
        assert!(response.error_codes().is_empty(), "{}", response.body);
        let list = &response.data()["villageServices"];
        for node in list["nodes"].as_array().unwrap() {
            let mut node = node.clone();
            let object = node.as_object_mut().unwrap();
            // Department and level are the hub's own codes of the same facts.
            object.remove("department");
            object.remove("level");
            items.insert(node["code"].as_str().unwrap().to_owned(), node);
        }
        if list["pageInfo"]["hasNextPage"] != json!(true) {
            assert_eq!(list["totalCount"].as_u64().unwrap() as usize, items.len());
            return items;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn a_villages_list_is_what_the_catalogue_says_for_its_levels_without_a_token() {
    let app = spawn_app().await;
    let expected = expected_for(VILLAGE);
    assert!(
        expected.keys().any(|c| c.starts_with("NA-")),
        "a county item applies"
    );
    assert!(
        expected.keys().any(|c| c.starts_with("CC-")),
        "a city item applies"
    );
    assert_eq!(listed(&app, VILLAGE).await, expected);

    // A village of another prefecture gets neither 长春's nor 农安县's items.
    let elsewhere = "220202100201"; // 红卫村, 吉林市昌邑区
    let other = expected_for(elsewhere);
    assert!(
        !other
            .keys()
            .any(|c| c.starts_with("NA-") || c.starts_with("CC-"))
    );
    assert_eq!(listed(&app, elsewhere).await, other);

    // An item added for another county is not on the list; a retired one leaves it.
    let admin = app.token(Role::Admin, "22");
    let add =
        "mutation($i: AddCatalogueItemInput!) { addCatalogueItem(input: $i) { item { code } } }";
    for (key, code, issuer) in [
        ("village-list-add-1", "DH-MZ-901", "220183"),
        ("village-list-add-2", "NA-MZ-902", "220122"),
    ] {
        let response = app
            .graphql(add)
            .variables(
                json!({ "i": { "idempotencyKey": key, "code": code, "name": "测试事项",
                "department": "CIVIL_AFFAIRS", "issuedBy": issuer, "modes": ["IN_VILLAGE"],
                "materials": ["居民身份证"], "timeLimitDays": 4 } }),
            )
            .bearer(&admin)
            .send()
            .await;
        assert!(response.error_codes().is_empty(), "{}", response.body);
    }
    let retire = "mutation($i: RetireCatalogueItemInput!) { retireCatalogueItem(input: $i) { item { code } } }";
    let response = app
        .graphql(retire)
        .variables(json!({ "i": { "idempotencyKey": "village-list-retire", "code": "JL-YB-002" } }))
        .bearer(&admin)
        .send()
        .await;
    assert!(response.error_codes().is_empty(), "{}", response.body);
    let now = listed(&app, VILLAGE).await;
    assert!(now.contains_key("NA-MZ-902"));
    assert!(!now.contains_key("DH-MZ-901"));
    assert!(!now.contains_key("JL-YB-002"));
    assert_eq!(now.len(), expected.len());
}

#[tokio::test]
async fn the_list_names_no_person_and_logs_no_read_of_one() {
    let app = spawn_app().await;
    let before = entities::audit_record::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    listed(&app, VILLAGE).await;
    let after = entities::audit_record::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(before, after, "a public read is no read of a person");

    // The type holds catalogue facts only: nothing that could name a resident.
    let response = app
        .graphql("{ __type(name: \"CatalogueItem\") { fields { name } } }")
        .bearer(app.token(Role::Admin, "22"))
        .send()
        .await;
    let fields: Vec<String> = response.data()["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    for personal in ["resident", "name_of", "idNumber", "phone", "household"] {
        assert!(!fields.iter().any(|f| f == personal), "{fields:?}");
    }
}

#[tokio::test]
async fn a_code_that_is_no_village_is_refused_and_an_unknown_village_is_null() {
    let app = spawn_app().await;
    for code in ["220122101", "22012210120x", "220122101000"] {
        let response = app
            .graphql(LIST)
            .variables(json!({ "village": code }))
            .send()
            .await;
        assert_eq!(response.error_codes(), ["INVALID_REGION_CODE"], "{code}");
        assert_eq!(
            response.body["errors"][0]["extensions"]["argumentPath"],
            json!(["village"]),
            "{code}"
        );
    }
    let response = app
        .graphql(LIST)
        .variables(json!({ "village": "220122101999" }))
        .send()
        .await;
    assert!(response.error_codes().is_empty(), "{}", response.body);
    assert_eq!(response.data()["villageServices"], Value::Null);
}
