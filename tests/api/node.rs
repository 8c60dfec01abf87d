//! Global object identification: `node(id:)` answers each entity type with the object
//! its direct query gives, through the same access rules and audit; out of scope reads
//! like unknown, a malformed id is refused.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use cunhub::{
    auth::Role,
    domain::Department,
    screening::{
        AlertKind, Fact, Finding,
        findings::{self, NewAlert},
    },
    store::id_vault::{IdVault, Sealed},
};
use serde_json::{Value, json};

use crate::village::{Village, days_ago, device_id};

const RESIDENT: &str = "id name idNumber householdNumber village { code }";
const HOUSEHOLD: &str = "id number members { name relationshipToHead }";
const REQUEST: &str = "id status description resident { id }";
const VISIT: &str = "id findings keyGroup requestId";
const ALERT: &str = "id kind facts { department fact } followUp { state }";
const ITEM: &str = "id code name department";
const REGION: &str = "id code name level";

const RECORD: &str = r#"
mutation ($input: RecordVisitInput!) {
  recordVisit(input: $input) { visit { id } request { id } }
}"#;

/// `node(id:)` with the fields of `type_name` asked through a fragment.
fn node_query(type_name: &str, fields: &str) -> String {
    format!(
        "query ($id: ID!) {{ node(id: $id) {{ __typename ... on {type_name} {{ {fields} }} }} }}"
    )
}

/// A visit with a service request opened from it, by the village's assistant: (visit id,
/// request id).
async fn visit_with_request(village: &Village, resident: &str) -> (String, String) {
    let variables = json!({ "input": {
        "idempotencyKey": "node-visit-0001",
        "id": device_id(),
        "residentId": resident,
        "keyGroup": "ELDERLY_LIVING_ALONE",
        "visitedOn": days_ago(0),
        "findings": "老人反映医保未续缴",
        "openRequest": {
            "catalogueCode": "JL-YB-002",
            "mode": "IN_VILLAGE",
            "description": "代办城乡居民医保缴费",
        },
    }});
    let data = village.ok(&village.assistant(), RECORD, variables).await;
    let recorded = &data["recordVisit"];
    (
        recorded["visit"]["id"].as_str().unwrap().to_owned(),
        recorded["request"]["id"].as_str().unwrap().to_owned(),
    )
}

/// Stores one alert on `resident` as a screening run's finding.
async fn plant_alert(village: &Village, resident: &str) {
    let alert = NewAlert {
        resident_id: resident.to_owned(),
        finding: Finding {
            kind: AlertKind::AssistanceNotInsured,
            facts: vec![
                Fact {
                    department: Department::CivilAffairs.as_str().to_owned(),
                    fact: "dibao (低保) in payment since 2021-03-01".to_owned(),
                },
                Fact {
                    department: Department::MedicalInsurance.as_str().to_owned(),
                    fact: "no basic medical insurance".to_owned(),
                },
            ],
        },
    };
    findings::replace_village(&village.app.db, &village.code, &[alert], Utc::now())
        .await
        .unwrap();
}

/// The access log rows written since row `after`: (action, target, outcome, field groups).
async fn audit_since(village: &Village, after: usize) -> Vec<(String, String, String, String)> {
    use sea_orm::{EntityTrait, QueryOrder};
    entities::audit_record::Entity::find()
        .order_by_asc(entities::audit_record::Column::Id)
        .all(&village.app.db)
        .await
        .unwrap()
        .into_iter()
        .skip(after)
        .map(|r| (r.action, r.target, r.outcome, r.field_groups))
        .collect()
}

async fn audit_len(village: &Village) -> usize {
    audit_since(village, 0).await.len()
}

/// The direct query's object, then the same through `node(id:)` with the id it gave.
async fn direct_then_node(
    village: &Village,
    token: &str,
    direct: &str,
    field: &str,
    type_name: &str,
    fields: &str,
) -> (Value, Value) {
    let direct = village
        .ok(token, &format!("{{ {direct} {{ {fields} }} }}"), json!({}))
        .await[field]
        .clone();
    assert!(direct.is_object(), "{field}: {direct}");
    let id = direct["id"].as_str().unwrap().to_owned();
    let node = village
        .ok(token, &node_query(type_name, fields), json!({ "id": id }))
        .await["node"]
        .clone();
    (direct, node)
}

fn without_typename(mut node: Value) -> Value {
    node.as_object_mut().unwrap().remove("__typename");
    node
}

#[tokio::test]
async fn every_entity_type_answers_node_with_the_object_its_direct_query_gives() {
    let village = Village::spawn(3).await;
    let assistant = village.assistant();
    let resident = village.residents[0].clone();
    let (visit, request) = visit_with_request(&village, &resident).await;
    plant_alert(&village, &resident).await;
    let number = village
        .ok(
            &assistant,
            &format!(r#"{{ resident(id: "{resident}") {{ householdNumber }} }}"#),
            json!({}),
        )
        .await["resident"]["householdNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let alert = format!("{resident}:{}", AlertKind::AssistanceNotInsured.code());

    let cases = [
        (
            format!(r#"resident(id: "{resident}")"#),
            "resident",
            "Resident",
            RESIDENT,
        ),
        (
            format!(r#"household(number: "{number}")"#),
            "household",
            "Household",
            HOUSEHOLD,
        ),
        (
            format!(r#"serviceRequest(id: "{request}")"#),
            "serviceRequest",
            "ServiceRequest",
            REQUEST,
        ),
        (format!(r#"visit(id: "{visit}")"#), "visit", "Visit", VISIT),
        (
            r#"catalogueItem(code: "JL-YB-002")"#.to_owned(),
            "catalogueItem",
            "CatalogueItem",
            ITEM,
        ),
        (
            format!(r#"region(code: "{}")"#, village.code),
            "region",
            "Region",
            REGION,
        ),
    ];
    for (direct, field, type_name, fields) in &cases {
        let (direct, node) =
            direct_then_node(&village, &assistant, direct, field, type_name, fields).await;
        assert_eq!(node["__typename"], *type_name);
        assert_eq!(without_typename(node), direct, "{type_name}");
    }

    // An alert has no direct lookup: the listing gives its id, `node` the same alert.
    let listed = village
        .ok(
            &assistant,
            &format!(
                r#"{{ alerts(region: "{}") {{ nodes {{ {ALERT} }} }} }}"#,
                village.code
            ),
            json!({}),
        )
        .await["alerts"]["nodes"][0]
        .clone();
    assert_eq!(listed["id"], alert.as_str());
    let node = village
        .ok(
            &assistant,
            &node_query("Alert", ALERT),
            json!({ "id": alert }),
        )
        .await["node"]
        .clone();
    assert_eq!(without_typename(node), listed);

    // The ids a type had before are kept: the raw and the global form reach the same
    // resident, through `node` and through `resident(id:)` alike.
    let global = STANDARD.encode(format!("Resident:{resident}"));
    let by_global = village
        .ok(
            &assistant,
            &node_query("Resident", "id"),
            json!({ "id": global }),
        )
        .await;
    assert_eq!(by_global["node"]["id"], resident.as_str());
    let direct = village
        .ok(
            &assistant,
            "query ($id: ID!) { resident(id: $id) { id } }",
            json!({ "id": global }),
        )
        .await;
    assert_eq!(direct["resident"]["id"], resident.as_str());
    // A new id is the global form of the key its type is named by elsewhere.
    let region = village
        .ok(
            &assistant,
            &format!(r#"{{ region(code: "{}") {{ id }} }}"#, village.code),
            json!({}),
        )
        .await;
    assert_eq!(
        region["region"]["id"],
        STANDARD.encode(format!("Region:{}", village.code))
    );
}

#[tokio::test]
async fn a_node_out_of_scope_answers_like_an_unknown_id_and_is_audited_like_the_direct_read() {
    let village = Village::spawn(3).await;
    let resident = village.residents[0].clone();
    let (visit, request) = visit_with_request(&village, &resident).await;
    plant_alert(&village, &resident).await;
    let alert = format!("{resident}:{}", AlertKind::AssistanceNotInsured.code());
    // The assistant of another village of the township.
    let other_village = village
        .app
        .graphql(&format!(
            r#"{{ resident(id: "{}") {{ village {{ code }} }} }}"#,
            village.elsewhere
        ))
        .bearer(village.township_officer())
        .purpose("VISIT")
        .send()
        .await
        .data()["resident"]["village"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(other_village, village.code);
    let stranger = village.app.token(Role::VillageAssistant, &other_village);

    for (id, type_name) in [
        (resident.as_str(), "Resident"),
        (request.as_str(), "ServiceRequest"),
        (visit.as_str(), "Visit"),
        (alert.as_str(), "Alert"),
    ] {
        let response = village
            .call(&stranger, &node_query(type_name, "id"), json!({ "id": id }))
            .await;
        assert!(response.body["errors"].is_null(), "{}", response.body);
        assert!(
            response.data()["node"].is_null(),
            "{type_name}: {}",
            response.body
        );
    }
    for unknown in [
        "Rffffffffffffffffffffffff",
        "sr-0000000000000000",
        "00000000-0000-0000-0000-000000000000",
        "Rffffffffffffffffffffffff:ASSISTANCE_NOT_INSURED",
    ] {
        let response = village
            .call(
                &stranger,
                &node_query("Resident", "id"),
                json!({ "id": unknown }),
            )
            .await;
        assert!(response.body["errors"].is_null(), "{}", response.body);
        assert!(response.data()["node"].is_null(), "{unknown}");
    }

    // Out of scope is audited as the direct read audits it.
    let before = audit_len(&village).await;
    village
        .call(
            &stranger,
            "query ($id: ID!) { resident(id: $id) { id } }",
            json!({ "id": resident }),
        )
        .await;
    let direct = audit_since(&village, before).await;
    let before = audit_len(&village).await;
    village
        .call(
            &stranger,
            &node_query("Resident", "id"),
            json!({ "id": resident }),
        )
        .await;
    let node = audit_since(&village, before).await;
    assert!(!direct.is_empty());
    assert_eq!(node, direct);
}

#[tokio::test]
async fn a_node_read_is_audited_like_the_direct_read() {
    let village = Village::spawn(3).await;
    let assistant = village.assistant();
    let resident = village.residents[0].clone();
    let (visit, request) = visit_with_request(&village, &resident).await;
    for (direct, type_name, id, fields) in [
        ("resident", "Resident", resident.as_str(), RESIDENT),
        (
            "serviceRequest",
            "ServiceRequest",
            request.as_str(),
            REQUEST,
        ),
        ("visit", "Visit", visit.as_str(), VISIT),
    ] {
        let before = audit_len(&village).await;
        village
            .ok(
                &assistant,
                &format!("query ($id: ID!) {{ {direct}(id: $id) {{ {fields} }} }}"),
                json!({ "id": id }),
            )
            .await;
        let by_direct = audit_since(&village, before).await;
        let before = audit_len(&village).await;
        village
            .ok(
                &assistant,
                &node_query(type_name, fields),
                json!({ "id": id }),
            )
            .await;
        let by_node = audit_since(&village, before).await;
        assert!(!by_direct.is_empty(), "{type_name}");
        assert_eq!(by_node, by_direct, "{type_name}");
    }
}

#[tokio::test]
async fn a_malformed_id_is_a_bad_user_input_error() {
    let village = Village::spawn(2).await;
    for malformed in ["", "not a node id", "a:b:c", "Rab:"] {
        let codes = village
            .refused(
                &village.assistant(),
                &node_query("Resident", "id"),
                json!({ "id": malformed }),
            )
            .await;
        assert_eq!(codes, ["BAD_USER_INPUT"], "{malformed:?}");
    }
}

#[tokio::test]
async fn a_resident_reads_their_own_record_through_node_and_nobody_elses() {
    let village = Village::spawn(3).await;
    let own = village.residents[0].clone();
    let neighbour = village.residents[1].clone();
    let record = cunhub::store::residents::find(&village.app.db, &own)
        .await
        .unwrap()
        .unwrap();
    let vault = IdVault::from_settings(&village.app.settings.privacy).unwrap();
    let number = vault
        .open(&Sealed {
            key_version: u32::try_from(record.key_version).unwrap(),
            ciphertext: record.id_cipher.clone(),
        })
        .unwrap();
    let token = village
        .app
        .token_for(Role::Resident, &village.code, None, Some(number.clone()));
    let call = |query: String, id: String| {
        let token = token.clone();
        let app = &village.app;
        async move {
            app.graphql_owned(query)
                .variables(json!({ "id": id }))
                .bearer(token)
                .send()
                .await
        }
    };
    let direct = call(
        "query ($id: ID!) { resident(id: $id) { id name idNumber } }".to_owned(),
        own.clone(),
    )
    .await;
    assert!(direct.body["errors"].is_null(), "{}", direct.body);
    let node = call(node_query("Resident", "id name idNumber"), own.clone()).await;
    assert!(node.body["errors"].is_null(), "{}", node.body);
    assert_eq!(node.data()["node"]["idNumber"], number.as_str());
    assert_eq!(
        without_typename(node.data()["node"].clone()),
        direct.data()["resident"].clone()
    );
    let other = call(node_query("Resident", "id name"), neighbour).await;
    let other_direct = call(
        "query ($id: ID!) { resident(id: $id) { id name } }".to_owned(),
        village.residents[1].clone(),
    )
    .await;
    assert_eq!(other.body["errors"], other_direct.body["errors"]);
    assert!(other.data()["node"].is_null(), "{}", other.body);
    assert!(other_direct.data()["resident"].is_null());
}

#[tokio::test]
async fn ids_in_inputs_and_filters_accept_the_global_form() {
    let village = Village::spawn(3).await;
    let resident = village.residents[0].clone();
    let global = |type_name: &str, key: &str| STANDARD.encode(format!("{type_name}:{key}"));
    // A visit recorded for the resident named by its global id opens a request for them.
    let (_, request) = visit_with_request(&village, &global("Resident", &resident)).await;
    let data = village
        .ok(
            &village.township_officer(),
            "query ($r: ID!) { serviceRequests(filter: { residentId: $r }) { nodes { id resident { id } } } }",
            json!({ "r": global("Resident", &resident) }),
        )
        .await;
    assert_eq!(data["serviceRequests"]["nodes"][0]["id"], request.as_str());
    assert_eq!(
        data["serviceRequests"]["nodes"][0]["resident"]["id"],
        resident.as_str()
    );
    // The township acts on it through its global id.
    let data = village
        .ok(
            &village.township_officer(),
            "mutation ($i: ActOnServiceRequestInput!) { actOnServiceRequest(input: $i) { request { id status } } }",
            json!({ "i": { "requestId": global("ServiceRequest", &request), "action": "ACCEPT",
                "expectedVersion": 1, "idempotencyKey": "node-accept-0001" } }),
        )
        .await;
    assert_eq!(
        data["actOnServiceRequest"]["request"]["id"],
        request.as_str()
    );
    assert_eq!(data["actOnServiceRequest"]["request"]["status"], "ACCEPTED");
}
