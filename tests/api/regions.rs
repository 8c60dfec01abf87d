//! The division tree through GraphQL.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn nongan_county_is_a_county_of_changchun() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "220122") { code statisticalCode name level developmentZone parent { name } ancestors { code } } }"#)
        .send()
        .await;
    let region = &response.data()["region"];
    assert_eq!(region["name"], "农安县");
    assert_eq!(region["level"], "COUNTY");
    assert_eq!(region["parent"]["name"], "长春市");
    assert_eq!(region["statisticalCode"], "220122000000");
    assert_eq!(region["developmentZone"], false);
    assert_eq!(
        region["ancestors"],
        json!([{ "code": "22" }, { "code": "2201" }])
    );
}

#[tokio::test]
async fn padded_statistical_codes_name_the_same_unit() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "220122000000") { code name } }"#)
        .send()
        .await;
    assert_eq!(response.data()["region"]["code"], "220122");
}

#[tokio::test]
async fn development_zones_are_marked() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "220171") { name developmentZone level } }"#)
        .send()
        .await;
    assert_eq!(response.data()["region"]["name"], "长春经济技术开发区");
    assert_eq!(response.data()["region"]["developmentZone"], true);
}

#[tokio::test]
async fn a_townships_villages_page_through_to_the_end() {
    let app = spawn_app().await;
    let query = r#"query($after: String) {
        regions(parentCode: "220122101", first: 5, after: $after) {
            totalCount
            edges { cursor node { code name level parent { code } } }
            pageInfo { hasNextPage hasPreviousPage endCursor }
        }
    }"#;
    let expected = std::fs::read_to_string("data/divisions/villages.csv")
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("220122101"))
        .count();
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let response = app
            .graphql(query)
            .variables(json!({ "after": after }))
            .send()
            .await;
        let regions = &response.data()["regions"];
        assert_eq!(regions["totalCount"], expected as u64);
        let edges = regions["edges"].as_array().unwrap();
        assert!(edges.len() <= 5);
        for edge in edges {
            assert_eq!(edge["node"]["parent"]["code"], "220122101");
            seen.push(edge["node"]["code"].as_str().unwrap().to_owned());
        }
        assert_eq!(regions["pageInfo"]["hasPreviousPage"], pages > 0);
        pages += 1;
        if regions["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = regions["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), expected);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        expected,
        "no duplicates"
    );
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "code order");
}

#[tokio::test]
async fn children_of_a_region_are_a_connection() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "2201") { children(first: 100) { totalCount nodes { code level } } } }"#)
        .send()
        .await;
    let children = &response.data()["region"]["children"];
    assert_eq!(children["totalCount"], 15);
    assert!(
        children["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["level"] == "COUNTY")
    );
}

#[tokio::test]
async fn malformed_codes_are_invalid_region_code_errors() {
    let app = spawn_app().await;
    for code in ["2201221", "abc", "", "22012210120", "2201-2"] {
        let response = app
            .graphql("query($c: String!) { region(code: $c) { name } }")
            .variables(json!({ "c": code }))
            .send()
            .await;
        assert_eq!(response.error_codes(), ["INVALID_REGION_CODE"], "{code}");
        assert!(response.data()["region"].is_null());
    }
    let response = app
        .graphql(r#"{ regions(parentCode: "1") { totalCount } }"#)
        .send()
        .await;
    assert_eq!(response.error_codes(), ["INVALID_REGION_CODE"]);
}

#[tokio::test]
async fn a_well_formed_unknown_code_is_null_without_error() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "229999") { name } }"#)
        .send()
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    assert!(response.data()["region"].is_null());
}

#[tokio::test]
async fn forged_cursors_and_oversized_pages_are_refused() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ regions(first: 5, after: "not-a-cursor") { totalCount } }"#)
        .send()
        .await;
    assert_eq!(response.error_codes(), ["INVALID_CURSOR"]);
    let max = app.settings.limits.max_page_size;
    let response = app
        .graphql(&format!(
            "{{ regions(first: {}) {{ totalCount }} }}",
            max + 1
        ))
        .send()
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let response = app
        .graphql("{ regions(first: -1) { totalCount } }")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn regions_filter_by_level_and_name() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ counties: regions(level: COUNTY) { totalCount } named: regions(nameContains: "农安", level: COUNTY, first: 10) { nodes { code name } } wild: regions(nameContains: "%") { totalCount } }"#)
        .send()
        .await;
    assert_eq!(response.data()["counties"]["totalCount"], 69);
    assert_eq!(
        response.data()["named"]["nodes"],
        json!([{ "code": "220122", "name": "农安县" }])
    );
    assert_eq!(
        response.data()["wild"]["totalCount"],
        0,
        "% is a literal character"
    );
}
