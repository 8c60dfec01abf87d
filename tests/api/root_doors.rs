//! The doors' table against the running doors: every root query and mutation, called as
//! every role and anonymously, is refused exactly when the table (and so the role's
//! schema, `cunhub schema --role`) leaves it out.

use cunhub::{
    auth::Role,
    domain::Department,
    graphql::root_fields::{ROOT_FIELDS, Root},
    policy::Policy,
};
use serde_json::json;

use crate::helpers::{TestApp, region_for, spawn_app};

/// A call of each root field that gets past the door as far as the door's own question:
/// the arguments are well-formed, the objects they name need not exist.
fn sample(field: &str) -> (String, serde_json::Value) {
    let key = json!("doors-matrix-0001");
    let (query, variables) = match field {
        "region" => (r#"{ region(code: "22") { code } }"#, json!({})),
        "regions" => ("{ regions(first: 1) { totalCount } }", json!({})),
        "catalogue" => ("{ catalogue(first: 1) { nodes { code } } }", json!({})),
        "catalogueItem" => (
            r#"{ catalogueItem(code: "JL-NONE-000") { code } }"#,
            json!({}),
        ),
        "villageServices" => (
            r#"{ villageServices(village: "220122101201", first: 1) { totalCount } }"#,
            json!({}),
        ),
        "node" => (r#"{ node(id: "UmVnaW9uOjIy") { id } }"#, json!({})),
        "resident" => (r#"{ resident(id: "R000000000000") { id } }"#, json!({})),
        "residentByIdNumber" => (
            r#"{ residentByIdNumber(idNumber: "220122195603020017") { id } }"#,
            json!({}),
        ),
        "household" => (
            r#"{ household(number: "000000000") { number } }"#,
            json!({}),
        ),
        "residents" => (
            r#"{ residents(region: "22", first: 1) { totalCount } }"#,
            json!({}),
        ),
        "alerts" => (
            r#"{ alerts(region: "22", first: 1) { totalCount } }"#,
            json!({}),
        ),
        "serviceRequest" => (r#"{ serviceRequest(id: "sr-none") { id } }"#, json!({})),
        "serviceRequests" => ("{ serviceRequests(first: 1) { totalCount } }", json!({})),
        "visit" => (r#"{ visit(id: "visit-none") { id } }"#, json!({})),
        "visits" => ("{ visits(first: 1) { totalCount } }", json!({})),
        "departmentHealth" => ("{ departmentHealth { department } }", json!({})),
        "auditLog" => ("{ auditLog(first: 1) { totalCount } }", json!({})),
        "statistics" => (
            r#"{ statistics(region: "220122101201") { takenAt } }"#,
            json!({}),
        ),
        "statisticsIndicators" => ("{ statisticsIndicators { key } }", json!({})),
        "openServiceRequest" => (
            "mutation($i: OpenServiceRequestInput!) { openServiceRequest(input: $i) { replayed } }",
            json!({ "i": { "residentId": "R000000000000", "catalogueCode": "JL-MZ-001",
                "mode": "IN_VILLAGE", "description": "需要帮助", "idempotencyKey": key } }),
        ),
        "actOnServiceRequest" => (
            "mutation($i: ActOnServiceRequestInput!) { actOnServiceRequest(input: $i) { replayed } }",
            json!({ "i": { "requestId": "sr-none", "action": "ACCEPT", "expectedVersion": 1,
                "idempotencyKey": key } }),
        ),
        "rateServiceRequest" => (
            "mutation($i: RateServiceRequestInput!) { rateServiceRequest(input: $i) { replayed } }",
            json!({ "i": { "requestId": "sr-none", "level": "SATISFIED", "idempotencyKey": key } }),
        ),
        "recordVisit" => (
            "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { replayed } }",
            json!({ "i": { "id": "visit-doors-0001", "residentId": "R000000000000",
                "keyGroup": "ELDERLY_LIVING_ALONE", "visitedOn": "2026-11-01", "findings": "安好",
                "idempotencyKey": key } }),
        ),
        "acknowledgeAlert" => (
            "mutation($i: AcknowledgeAlertInput!) { acknowledgeAlert(input: $i) { replayed } }",
            json!({ "i": { "alertId": "none:none", "idempotencyKey": key } }),
        ),
        "dismissAlert" => (
            "mutation($i: DismissAlertInput!) { dismissAlert(input: $i) { replayed } }",
            json!({ "i": { "alertId": "none:none", "reason": "误报", "idempotencyKey": key } }),
        ),
        "openServiceRequestFromAlert" => (
            "mutation($i: OpenServiceRequestFromAlertInput!) { openServiceRequestFromAlert(input: $i) { replayed } }",
            json!({ "i": { "alertId": "none:none", "catalogueCode": "JL-MZ-001",
                "mode": "IN_VILLAGE", "description": "需要帮助", "idempotencyKey": key } }),
        ),
        "addCatalogueItem" => (
            "mutation($i: AddCatalogueItemInput!) { addCatalogueItem(input: $i) { replayed } }",
            json!({ "i": { "code": "JL-TEST-901", "name": "测试事项", "department": "CIVIL_AFFAIRS",
                "issuedBy": "2201", "modes": ["IN_VILLAGE"], "timeLimitDays": 5,
                "idempotencyKey": key } }),
        ),
        "retireCatalogueItem" => (
            "mutation($i: RetireCatalogueItemInput!) { retireCatalogueItem(input: $i) { replayed } }",
            json!({ "i": { "code": "JL-NONE-000", "idempotencyKey": key } }),
        ),
        other => panic!("give the root field `{other}` a sample call in this test"),
    };
    (query.to_owned(), variables)
}

fn token(app: &TestApp, role: Role) -> String {
    let department = match role {
        Role::DepartmentClerk => Some(Department::CivilAffairs),
        Role::Integrator => Some(Department::PublicSecurity),
        _ => None,
    };
    app.token_with(role, region_for(role), department)
}

#[tokio::test]
async fn every_root_field_refuses_exactly_the_roles_its_door_leaves_out() {
    let app = spawn_app().await;
    let policy = Policy::built_in().unwrap();
    let callers: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.into_iter().map(Some))
        .collect();
    let mut disagreements = Vec::new();
    for (root, field, door) in ROOT_FIELDS {
        if *root == Root::Subscription {
            continue; // over WebSocket only; its door is `serviceRequests`'s, checked here
        }
        let (query, variables) = sample(field);
        for role in &callers {
            let mut call = app.graphql(&query).variables(variables.clone());
            if let Some(role) = role {
                call = call.bearer(token(&app, *role)).purpose("SERVICE_HANDLING");
            }
            let response = call.send().await;
            let codes = response.error_codes();
            let refused = codes
                .iter()
                .any(|c| c == "FORBIDDEN" || c == "UNAUTHENTICATED");
            let admitted = door.admits(*role, &policy);
            if refused == admitted {
                disagreements.push(format!(
                    "{field} as {}: the table says {}, the hub answered {codes:?}",
                    role.map_or("anonymous".to_owned(), |r| r.to_string()),
                    if admitted { "admitted" } else { "refused" },
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
