//! Bad arguments are named by their paths and reported together, before the field runs.

use cunhub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn problems(error: &Value) -> Vec<(Vec<String>, String)> {
    error["extensions"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems in {error}"))
        .iter()
        .map(|p| {
            let path = p["argumentPath"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            (path, p["code"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn every_bad_argument_of_a_field_is_named_in_one_error() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ residents(region: "22x", first: -3, after: "!!") { totalCount } }"#)
        .bearer(app.token(Role::Admin, "22"))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    let errors = response.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert_eq!(error["path"], json!(["residents"]));
    assert_eq!(error["extensions"]["code"], "INVALID_REGION_CODE");
    assert_eq!(error["extensions"]["argumentPath"], json!(["region"]));
    let mut found = problems(error);
    found.sort();
    assert_eq!(
        found,
        [
            (vec!["after".to_owned()], "INVALID_CURSOR".to_owned()),
            (vec!["first".to_owned()], "BAD_USER_INPUT".to_owned()),
            (vec!["region".to_owned()], "INVALID_REGION_CODE".to_owned()),
        ]
    );
    assert!(response.data()["residents"].is_null());
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("3 arguments are invalid"), "{message}");
}

#[tokio::test]
async fn input_fields_are_named_by_their_path_also_through_variables() {
    let app = spawn_app().await;
    let response = app
        .graphql(
            "mutation($i: OpenServiceRequestInput!) { openServiceRequest(input: $i) { replayed } }",
        )
        .variables(json!({ "i": {
            "residentId": "R000000000000", "catalogueCode": "JL-MZ-001", "mode": "IN_VILLAGE",
            "description": "需要帮助", "idempotencyKey": "short" } }))
        .bearer(app.token(Role::VillageAssistant, "220122101201"))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let error = &response.body["errors"][0];
    assert_eq!(
        error["extensions"]["argumentPath"],
        json!(["input", "idempotencyKey"])
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("8 to 80 characters"),
        "{error}"
    );

    let response = app
        .graphql(r#"{ serviceRequests(filter: { region: "2201221" }) { totalCount } }"#)
        .bearer(app.token(Role::TownshipOfficer, "220122101"))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["INVALID_REGION_CODE"]);
    assert_eq!(
        response.body["errors"][0]["extensions"]["argumentPath"],
        json!(["filter", "region"])
    );
}

#[tokio::test]
async fn nested_connections_check_their_own_arguments() {
    let app = spawn_app().await;
    let response = app
        .graphql(r#"{ region(code: "22") { name children(first: 500) { totalCount } } }"#)
        .send()
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let error = &response.body["errors"][0];
    assert_eq!(error["path"], json!(["region", "children"]));
    assert_eq!(error["extensions"]["argumentPath"], json!(["first"]));
    // `children` is non-null: its failure nulls the region, the nearest nullable parent.
    assert!(response.data()["region"].is_null(), "{}", response.body);
}

#[tokio::test]
async fn a_mutation_names_the_input_field_it_cannot_take() {
    let app = spawn_app().await;
    let response = app
        .graphql("mutation($i: RecordVisitInput!) { recordVisit(input: $i) { replayed } }")
        .variables(json!({ "i": {
            "id": "x", "residentId": "R000000000000", "keyGroup": "ELDERLY_LIVING_ALONE",
            "visitedOn": "2026-11-01", "findings": "安好", "idempotencyKey": "visit-key-0001" } }))
        .bearer(app.token(Role::VillageAssistant, "220122101201"))
        .purpose("VISIT")
        .send()
        .await;
    assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
    let error = &response.body["errors"][0];
    assert_eq!(error["extensions"]["argumentPath"], json!(["input", "id"]));
    assert!(
        error["message"].as_str().unwrap().contains("a visit id is"),
        "{error}"
    );
}
