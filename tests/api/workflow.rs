//! Service requests through HTTP with each role's token: the lifecycle's two branches,
//! every forbidden transition, working-day deadlines across the Spring Festival,
//! escalation, idempotent retries under concurrency and the concurrent-transition
//! conflict. The hub's clock is moved, never waited for.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cunhub::{
    auth::{Role, TokenRequest, mint_development_token},
    domain::{Department, RegionCode},
};
use entities::{request_event, resident, service_request};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{TOWNSHIP, TestApp, TestResponse, spawn_hub_with_departments};

const OPEN: &str = "mutation Open($input: OpenServiceRequestInput!) {
  openServiceRequest(input: $input) {
    replayed
    request { id status version stepDueAt awaiting department overdue
              timeline { sequence kind status actor actorRole note dueAt } }
  }
}";

const ACT: &str = "mutation Act($input: ActOnServiceRequestInput!) {
  actOnServiceRequest(input: $input) {
    replayed
    request { id status version stepDueAt awaiting department overdue escalations
              timeline { sequence kind status actor actorRole note dueAt } }
  }
}";

/// Two residents of two villages of the test township, and tokens for every role.
pub(crate) struct World {
    pub(crate) app: TestApp,
    _cluster: cunhub::sim::SimCluster,
    pub(crate) village: String,
    pub(crate) resident: String,
    other_village: String,
    other_resident: String,
}

pub(crate) async fn world(customize: impl FnOnce(&mut cunhub::config::Settings)) -> World {
    world_of(2, customize).await
}

/// Like [`world`], with `per_village` people in each village.
pub(crate) async fn world_of(
    per_village: u32,
    customize: impl FnOnce(&mut cunhub::config::Settings),
) -> World {
    let (app, cluster) = spawn_hub_with_departments(per_village, customize).await;
    // Adults, whose requests every level reads in full (a child's are the minors rule's).
    let adult = chrono::Utc::now().date_naive() - chrono::Days::new(20 * 366);
    let residents = resident::Entity::find()
        .filter(resident::Column::VillageCode.starts_with(TOWNSHIP))
        .filter(resident::Column::BirthDate.lt(adult))
        .order_by_asc(resident::Column::VillageCode)
        .all(&app.db)
        .await
        .unwrap();
    let first = residents.first().unwrap().clone();
    let other = residents
        .iter()
        .find(|r| r.village_code != first.village_code)
        .unwrap()
        .clone();
    World {
        app,
        _cluster: cluster,
        village: first.village_code.clone(),
        resident: first.id.clone(),
        other_village: other.village_code.clone(),
        other_resident: other.id.clone(),
    }
}

fn token(
    app: &TestApp,
    subject: &str,
    role: Role,
    region: &str,
    dept: Option<Department>,
) -> String {
    let request = TokenRequest {
        subject: Some(subject.into()),
        role,
        region: RegionCode::parse(region).unwrap(),
        department: dept,
        id_number: (role == Role::Resident).then(|| "220122195603020017".to_owned()),
        ttl: Duration::from_secs(600),
    };
    mint_development_token(&app.settings.auth, &request).unwrap()
}

impl World {
    pub(crate) fn assistant(&self) -> String {
        token(
            &self.app,
            "va-1",
            Role::VillageAssistant,
            &self.village,
            None,
        )
    }
    pub(crate) fn township(&self) -> String {
        token(&self.app, "to-1", Role::TownshipOfficer, TOWNSHIP, None)
    }
    pub(crate) fn clerk(&self, dept: Department) -> String {
        token(
            &self.app,
            "dc-1",
            Role::DepartmentClerk,
            "220122",
            Some(dept),
        )
    }

    async fn open(&self, token: &str, resident: &str, item: &str, key: &str) -> TestResponse {
        self.app
            .graphql(OPEN)
            .variables(json!({ "input": {
                "idempotencyKey": key,
                "residentId": resident,
                "catalogueCode": item,
                "mode": "IN_VILLAGE",
                "description": "needs help with an application",
            }}))
            .bearer(token)
            .purpose("SERVICE_HANDLING")
            .send()
            .await
    }

    /// Opens a request (as the village assistant) and returns (id, version).
    pub(crate) async fn opened(&self, item: &str) -> (String, i64) {
        let key = format!("open-{}", uuid::Uuid::new_v4().simple());
        let response = self
            .open(&self.assistant(), &self.resident, item, &key)
            .await;
        let request = &response.data()["openServiceRequest"]["request"];
        (
            request["id"].as_str().unwrap().to_owned(),
            request["version"].as_i64().unwrap(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    async fn act(
        &self,
        token: &str,
        id: &str,
        version: i64,
        action: &str,
        note: &str,
        dept: Option<&str>,
        key: &str,
    ) -> TestResponse {
        let mut input = json!({
            "idempotencyKey": key,
            "requestId": id,
            "expectedVersion": version,
            "action": action,
            "note": note,
        });
        if let Some(dept) = dept {
            input["department"] = json!(dept);
        }
        self.app
            .graphql(ACT)
            .variables(json!({ "input": input }))
            .bearer(token)
            .purpose("SERVICE_HANDLING")
            .send()
            .await
    }

    /// Acts and expects success; returns the request.
    pub(crate) async fn step(
        &self,
        token: &str,
        id: &str,
        version: i64,
        action: &str,
        dept: Option<&str>,
    ) -> Value {
        let key = format!("act-{}", uuid::Uuid::new_v4().simple());
        let response = self
            .act(token, id, version, action, "done", dept, &key)
            .await;
        assert!(
            response.error_codes().is_empty(),
            "{action} on v{version}: {:?}",
            response.body
        );
        response.data()["actOnServiceRequest"]["request"].clone()
    }
}

pub(crate) fn version(request: &Value) -> i64 {
    request["version"].as_i64().unwrap()
}

#[tokio::test]
async fn a_need_goes_village_township_department_and_back_to_the_village() {
    let w = world(|_| {}).await;
    let (id, v) = w.opened("JL-MZ-003").await;
    let accepted = w.step(&w.township(), &id, v, "ACCEPT", None).await;
    assert_eq!(accepted["status"], "ACCEPTED");
    let routed = w
        .step(
            &w.township(),
            &id,
            version(&accepted),
            "ROUTE",
            Some("CIVIL_AFFAIRS"),
        )
        .await;
    assert_eq!(routed["status"], "ROUTED");
    assert_eq!(routed["department"], "CIVIL_AFFAIRS");
    assert_eq!(routed["awaiting"], "DEPARTMENT");
    let responded = w
        .step(
            &w.clerk(Department::CivilAffairs),
            &id,
            version(&routed),
            "RESPOND",
            None,
        )
        .await;
    assert_eq!(responded["awaiting"], "VILLAGE");
    let resolved = w
        .step(
            &w.assistant(),
            &id,
            version(&responded),
            "CONFIRM_RESOLVED",
            None,
        )
        .await;
    assert_eq!(resolved["status"], "RESOLVED");
    assert_eq!(resolved["awaiting"], Value::Null);
    assert_eq!(resolved["stepDueAt"], Value::Null);
    let timeline: Vec<(String, String, String)> = resolved["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["actorRole"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("OPENED", "va-1", "village_assistant"),
        ("ACCEPTED", "to-1", "township_officer"),
        ("ROUTED", "to-1", "township_officer"),
        ("RESPONDED", "dc-1", "department_clerk"),
        ("RESOLVED", "va-1", "village_assistant"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(timeline, expected);
}

#[tokio::test]
async fn needs_of_the_declared_departments_are_routed_to_their_clerks() {
    let w = world(|_| {}).await;
    for (item, dept, department) in [
        ("JL-TY-001", "VETERANS_AFFAIRS", Department::VeteransAffairs),
        ("JL-WJ-001", "HEALTH", Department::Health),
        ("JL-NY-002", "AGRICULTURE", Department::Agriculture),
    ] {
        let (id, v) = w.opened(item).await;
        let accepted = w.step(&w.township(), &id, v, "ACCEPT", None).await;
        let routed = w
            .step(&w.township(), &id, version(&accepted), "ROUTE", Some(dept))
            .await;
        assert_eq!(routed["department"], dept, "{item}");
        // Another department's clerk may not answer it; its own may.
        let key = format!("act-{}", uuid::Uuid::new_v4().simple());
        let refused = w
            .act(
                &w.clerk(Department::CivilAffairs),
                &id,
                version(&routed),
                "RESPOND",
                "not mine",
                None,
                &key,
            )
            .await;
        assert!(
            !refused.error_codes().is_empty(),
            "{item}: {}",
            refused.body
        );
        let responded = w
            .step(&w.clerk(department), &id, version(&routed), "RESPOND", None)
            .await;
        assert_eq!(responded["awaiting"], "VILLAGE", "{item}");
    }
}

#[tokio::test]
async fn the_township_can_resolve_a_need_itself() {
    let w = world(|_| {}).await;
    let (id, v) = w.opened("JL-RS-002").await;
    let accepted = w.step(&w.township(), &id, v, "ACCEPT", None).await;
    let solved = w
        .step(
            &w.township(),
            &id,
            version(&accepted),
            "RESOLVE_BY_TOWNSHIP",
            None,
        )
        .await;
    assert_eq!(solved["status"], "RESOLVED_BY_TOWNSHIP");
    let resolved = w
        .step(
            &w.assistant(),
            &id,
            version(&solved),
            "CONFIRM_RESOLVED",
            None,
        )
        .await;
    assert_eq!(resolved["status"], "RESOLVED");
    assert_eq!(resolved["timeline"].as_array().unwrap().len(), 4);
}

/// Drives a fresh request into `status` along legal steps; returns (id, version).
async fn request_in(w: &World, status: &str) -> (String, i64) {
    let (id, v) = w.opened("JL-MZ-003").await;
    let path: &[(&str, Option<&str>, u8)] = match status {
        "REPORTED" => &[],
        "ACCEPTED" => &[("ACCEPT", None, 1)],
        "ROUTED" => &[("ACCEPT", None, 1), ("ROUTE", Some("CIVIL_AFFAIRS"), 1)],
        "RESPONDED" => &[
            ("ACCEPT", None, 1),
            ("ROUTE", Some("CIVIL_AFFAIRS"), 1),
            ("RESPOND", None, 2),
        ],
        "RESOLVED_BY_TOWNSHIP" => &[("ACCEPT", None, 1), ("RESOLVE_BY_TOWNSHIP", None, 1)],
        "RETURNED" => &[("RETURN", None, 1)],
        "RESOLVED" => &[
            ("ACCEPT", None, 1),
            ("RESOLVE_BY_TOWNSHIP", None, 1),
            ("CONFIRM_RESOLVED", None, 0),
        ],
        "REJECTED" => &[("REJECT", None, 1)],
        other => panic!("no path to {other}"),
    };
    let mut version = v;
    for (action, dept, who) in path {
        let token = match who {
            0 => w.assistant(),
            1 => w.township(),
            _ => w.clerk(Department::CivilAffairs),
        };
        version = self::version(&w.step(&token, &id, version, action, *dept).await);
    }
    (id, version)
}

#[tokio::test]
async fn every_transition_but_the_legal_ones_is_refused_and_changes_nothing() {
    let w = world(|_| {}).await;
    let other_township = "220122102";
    let callers: Vec<(&str, String)> = vec![
        ("assistant", w.assistant()),
        (
            "other-village assistant",
            token(
                &w.app,
                "va-2",
                Role::VillageAssistant,
                &w.other_village,
                None,
            ),
        ),
        ("township", w.township()),
        (
            "other township",
            token(&w.app, "to-2", Role::TownshipOfficer, other_township, None),
        ),
        ("civil clerk", w.clerk(Department::CivilAffairs)),
        ("medical clerk", w.clerk(Department::MedicalInsurance)),
        (
            "civil clerk of another county",
            token(
                &w.app,
                "dc-2",
                Role::DepartmentClerk,
                "220183",
                Some(Department::CivilAffairs),
            ),
        ),
        ("police", token(&w.app, "p-1", Role::Police, TOWNSHIP, None)),
        ("admin", token(&w.app, "ad-1", Role::Admin, "22", None)),
    ];
    // (status, action, caller) that the rules allow; everything else must be refused.
    let legal: &[(&str, &str, &str)] = &[
        ("REPORTED", "ACCEPT", "township"),
        ("REPORTED", "RETURN", "township"),
        ("REPORTED", "REJECT", "township"),
        ("ACCEPTED", "RESOLVE_BY_TOWNSHIP", "township"),
        ("ACCEPTED", "ROUTE", "township"),
        ("ACCEPTED", "RETURN", "township"),
        ("ACCEPTED", "REJECT", "township"),
        ("ROUTED", "RESPOND", "civil clerk"),
        ("ROUTED", "RETURN_TO_TOWNSHIP", "civil clerk"),
        ("ROUTED", "REJECT", "civil clerk"),
        ("RESPONDED", "CONFIRM_RESOLVED", "assistant"),
        ("RESOLVED_BY_TOWNSHIP", "CONFIRM_RESOLVED", "assistant"),
        ("RETURNED", "RESUBMIT", "assistant"),
    ];
    let actions = [
        "ACCEPT",
        "RESOLVE_BY_TOWNSHIP",
        "ROUTE",
        "RESPOND",
        "RETURN_TO_TOWNSHIP",
        "RETURN",
        "RESUBMIT",
        "REJECT",
        "CONFIRM_RESOLVED",
    ];
    let mut refused = 0;
    for status in [
        "REPORTED",
        "ACCEPTED",
        "ROUTED",
        "RESPONDED",
        "RESOLVED_BY_TOWNSHIP",
        "RETURNED",
        "RESOLVED",
        "REJECTED",
    ] {
        let (id, v) = request_in(&w, status).await;
        for action in actions {
            let dept = (action == "ROUTE").then_some("CIVIL_AFFAIRS");
            for (who, token) in &callers {
                if legal.contains(&(status, action, who)) {
                    continue;
                }
                let key = format!("no-{}", uuid::Uuid::new_v4().simple());
                let response = w.act(token, &id, v, action, "because", dept, &key).await;
                let codes = response.error_codes();
                assert!(
                    matches!(
                        codes.first().map(String::as_str),
                        Some("FORBIDDEN" | "INVALID_TRANSITION" | "NOT_FOUND" | "PURPOSE_REQUIRED")
                    ),
                    "{who} {action} on {status}: {:?}",
                    response.body
                );
                refused += 1;
            }
        }
        let stored = service_request::Entity::find_by_id(id.clone())
            .one(&w.app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            i64::from(stored.version),
            v,
            "{status}: a refused action changed it"
        );
        assert_eq!(stored.status, status);
    }
    assert!(refused > 500, "{refused} refusals checked");

    // Only the resident's own village assistant opens requests.
    for (who, token) in &callers[1..] {
        let key = format!("no-open-{}", uuid::Uuid::new_v4().simple());
        let response = w.open(token, &w.resident, "JL-MZ-003", &key).await;
        assert!(
            matches!(
                response.error_codes().first().map(String::as_str),
                Some("FORBIDDEN" | "NOT_FOUND")
            ),
            "{who} opened a request: {:?}",
            response.body
        );
    }
}

#[tokio::test]
async fn the_right_errors_say_why() {
    let w = world(|_| {}).await;
    let (id, v) = w.opened("JL-MZ-003").await;
    // Not the township's turn yet to respond, and the village cannot accept.
    let r = w
        .act(&w.township(), &id, v, "RESPOND", "", None, "why-00000001")
        .await;
    assert_eq!(r.error_codes(), vec!["FORBIDDEN"]);
    let r = w
        .act(&w.assistant(), &id, v, "ACCEPT", "", None, "why-00000002")
        .await;
    assert_eq!(r.error_codes(), vec!["FORBIDDEN"]);
    // The township's turn, the wrong action for the status.
    let r = w
        .act(
            &w.township(),
            &id,
            v,
            "RESOLVE_BY_TOWNSHIP",
            "",
            None,
            "why-00000003",
        )
        .await;
    assert_eq!(r.error_codes(), vec!["INVALID_TRANSITION"]);
    // A rejection needs a reason; a route needs a department.
    let r = w
        .act(&w.township(), &id, v, "REJECT", " ", None, "why-00000004")
        .await;
    assert_eq!(r.error_codes(), vec!["BAD_USER_INPUT"]);
    // Another village's request looks like none at all.
    let other = token(
        &w.app,
        "va-2",
        Role::VillageAssistant,
        &w.other_village,
        None,
    );
    let r = w
        .act(&other, &id, v, "RESUBMIT", "", None, "why-00000005")
        .await;
    assert_eq!(r.error_codes(), vec!["NOT_FOUND"]);
    // Without a purpose, no personal data and no action.
    let r = w
        .app
        .graphql(ACT)
        .variables(
            json!({ "input": { "idempotencyKey": "why-00000006", "requestId": id,
            "expectedVersion": v, "action": "ACCEPT" }}),
        )
        .bearer(w.township())
        .send()
        .await;
    assert_eq!(r.error_codes(), vec!["PURPOSE_REQUIRED"]);
    // A proxy-handled request records the villager's authorisation.
    let r = w
        .app
        .graphql(OPEN)
        .variables(
            json!({ "input": { "idempotencyKey": "why-00000007", "residentId": w.resident,
            "catalogueCode": "JL-MZ-003", "mode": "PROXY", "description": "x" }}),
        )
        .bearer(w.assistant())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(r.error_codes(), vec!["BAD_USER_INPUT"]);
    let r = w
        .app
        .graphql(
            "mutation($input: OpenServiceRequestInput!) { openServiceRequest(input: $input) {
            request { authorisation { by method at } } } }",
        )
        .variables(
            json!({ "input": { "idempotencyKey": "why-00000008", "residentId": w.resident,
            "catalogueCode": "JL-MZ-003", "mode": "PROXY", "description": "x",
            "authorisation": { "by": "the villager", "method": "FINGERPRINT",
                               "at": "2026-01-05T02:00:00Z" } }}),
        )
        .bearer(w.assistant())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(
        r.data()["openServiceRequest"]["request"]["authorisation"],
        json!({ "by": "the villager", "method": "FINGERPRINT", "at": "2026-01-05T02:00:00+00:00" })
    );
    // A mode the item does not offer (JL-YZ-001 is in the village only).
    let r = w
        .app
        .graphql(OPEN)
        .variables(
            json!({ "input": { "idempotencyKey": "why-00000009", "residentId": w.resident,
            "catalogueCode": "JL-YZ-001", "mode": "VIDEO", "description": "x" }}),
        )
        .bearer(w.assistant())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(r.error_codes(), vec!["BAD_USER_INPUT"]);
}

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[tokio::test]
async fn deadlines_count_working_days_across_the_spring_festival() {
    let w = world(|_| {}).await;
    // Friday 13 February 2026, 17:00 in Beijing: one working day to accept is the
    // make-up Saturday, 14 February.
    w.app.clock.set(at("2026-02-13T09:00:00Z"));
    let key = "sf-open-0001";
    let opened = w.open(&w.assistant(), &w.resident, "JL-MZ-003", key).await;
    let request = &opened.data()["openServiceRequest"]["request"];
    assert_eq!(request["stepDueAt"], "2026-02-14T16:00:00+00:00");
    let id = request["id"].as_str().unwrap().to_owned();
    // Accepted on the make-up Saturday: three working days skip the festival (15-23 Feb)
    // and land on Thursday 26 February.
    w.app.clock.set(at("2026-02-14T02:00:00Z"));
    let accepted = w.step(&w.township(), &id, 1, "ACCEPT", None).await;
    assert_eq!(accepted["stepDueAt"], "2026-02-26T16:00:00+00:00");
    // Routed on Thursday 26 February to civil affairs, whose item gives 5 working days:
    // Fri 27, make-up Sat 28, Mon 2, Tue 3, Wed 4 March.
    w.app.clock.set(at("2026-02-26T03:00:00Z"));
    let routed = w
        .step(&w.township(), &id, 2, "ROUTE", Some("CIVIL_AFFAIRS"))
        .await;
    assert_eq!(routed["stepDueAt"], "2026-03-04T16:00:00+00:00");
    let timeline = routed["timeline"].as_array().unwrap();
    assert_eq!(timeline[2]["dueAt"], "2026-03-04T16:00:00+00:00");
}

#[tokio::test]
async fn an_overdue_step_escalates_on_its_own_and_the_next_step_clears_it() {
    let w = world(|s| s.workflow.overdue_check_interval = Duration::from_millis(100)).await;
    w.app.clock.set(at("2026-03-02T01:00:00Z"));
    let (id, v) = w.opened("JL-MZ-003").await;
    // Monday's need was to be accepted by the end of Tuesday; on Thursday the sweep
    // escalates it.
    w.app.clock.set(at("2026-03-05T01:00:00Z"));
    let mut escalated = None;
    for _ in 0..100 {
        let stored = service_request::Entity::find_by_id(id.clone())
            .one(&w.app.db)
            .await
            .unwrap()
            .unwrap();
        if stored.overdue {
            escalated = Some(stored);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let escalated = escalated.expect("escalated within 5 s");
    assert_eq!(escalated.escalations, 1);
    assert_eq!(i64::from(escalated.version), v + 1);
    let events = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id.clone()))
        .order_by_asc(request_event::Column::Seq)
        .all(&w.app.db)
        .await
        .unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor_subject.as_str()),
        ("ESCALATED", "cunhub")
    );
    // The township's step (accepting) was missed: the county hears of it.
    assert!(
        last.note.contains("escalated to the county"),
        "{}",
        last.note
    );
    // Escalated once, not at every sweep.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let count = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id.clone()))
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(count, 2);
    // The overdue work list shows it to the township.
    let list = w
        .app
        .graphql("{ serviceRequests(filter: { overdue: true, awaitingMe: true }) { totalCount nodes { id overdue } } }")
        .bearer(w.township())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(list.data()["serviceRequests"]["totalCount"], 1);
    // Accepting starts a new step with a new deadline.
    let accepted = w.step(&w.township(), &id, v + 1, "ACCEPT", None).await;
    assert_eq!(accepted["overdue"], false);
    assert_eq!(accepted["escalations"], 1);
}

#[tokio::test]
async fn a_retried_mutation_acts_once_even_when_the_retries_race() {
    let w = world(|_| {}).await;
    let token = w.assistant();
    let opens =
        join_all((0..8).map(|_| w.open(&token, &w.resident, "JL-MZ-003", "race-open-01"))).await;
    let ids: Vec<&str> = opens
        .iter()
        .map(|r| {
            r.data()["openServiceRequest"]["request"]["id"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let fresh = opens
        .iter()
        .filter(|r| r.data()["openServiceRequest"]["replayed"] == false)
        .count();
    assert_eq!(fresh, 1);
    let stored = service_request::Entity::find()
        .filter(service_request::Column::ResidentId.eq(w.resident.clone()))
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);

    let township = w.township();
    let acts = join_all(
        (0..8).map(|_| w.act(&township, ids[0], 1, "ACCEPT", "ok", None, "race-accept-1")),
    )
    .await;
    for response in &acts {
        assert!(response.error_codes().is_empty(), "{:?}", response.body);
        assert_eq!(
            response.data()["actOnServiceRequest"]["request"]["version"],
            2
        );
    }
    let events = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(ids[0]))
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(events, 2, "one OPENED and one ACCEPTED event");

    // The same key for something else is refused, not silently replayed.
    let reused = w
        .act(
            &township,
            ids[0],
            2,
            "ROUTE",
            "",
            Some("HEALTH"),
            "race-accept-1",
        )
        .await;
    assert_eq!(reused.error_codes(), vec!["IDEMPOTENCY_KEY_REUSED"]);
    let reused = w
        .open(&token, &w.other_resident, "JL-MZ-003", "race-open-01")
        .await;
    assert_eq!(reused.error_codes(), vec!["IDEMPOTENCY_KEY_REUSED"]);
}

#[tokio::test]
async fn of_two_officers_acting_at_once_one_wins_and_the_other_gets_conflict() {
    let w = world(|_| {}).await;
    let (id, v) = w.opened("JL-MZ-003").await;
    let first = token(&w.app, "to-a", Role::TownshipOfficer, TOWNSHIP, None);
    let second = token(&w.app, "to-b", Role::TownshipOfficer, TOWNSHIP, None);
    let (a, b) = tokio::join!(
        w.act(&first, &id, v, "ACCEPT", "mine", None, "conflict-a-1"),
        w.act(
            &second,
            &id,
            v,
            "RETURN",
            "need the household register",
            None,
            "conflict-b-1"
        ),
    );
    let outcomes = [a.error_codes(), b.error_codes()];
    let won = outcomes.iter().filter(|c| c.is_empty()).count();
    assert_eq!(won, 1, "{:?} / {:?}", a.body, b.body);
    let loser = if a.error_codes().is_empty() { &b } else { &a };
    assert_eq!(loser.error_codes(), vec!["CONFLICT"]);
    assert_eq!(
        loser.body["errors"][0]["extensions"]["currentVersion"],
        v + 1
    );
    let events = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id.clone()))
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(events, 2, "exactly one transition recorded");
}

/// The error and the request as it now stands, from a refused action.
fn conflict_of(response: &TestResponse) -> (Vec<String>, Value, Value) {
    let extensions = &response.body["errors"][0]["extensions"];
    (
        response.error_codes(),
        extensions["currentVersion"].clone(),
        extensions["currentStatus"].clone(),
    )
}

#[tokio::test]
async fn a_stale_version_answers_conflict_before_the_turn_or_the_transition_is_judged() {
    let w = world(|_| {}).await;
    let (id, reported) = w.opened("JL-MZ-003").await;
    let accepted = version(&w.step(&w.township(), &id, reported, "ACCEPT", None).await);
    let routed = w
        .step(&w.township(), &id, accepted, "ROUTE", Some("CIVIL_AFFAIRS"))
        .await;
    let current = version(&routed);
    let conflict = (vec!["CONFLICT".to_owned()], json!(current), json!("ROUTED"));

    // The township decided on the accepted request; it is the department's turn now.
    let r = w
        .act(
            &w.township(),
            &id,
            accepted,
            "RETURN",
            "the household register is missing",
            None,
            "stale-000001",
        )
        .await;
    assert_eq!(conflict_of(&r), conflict, "{:?}", r.body);
    // A second township officer who saw it reported: accepting it again is no longer a
    // transition of a routed request, nor the township's turn.
    let second = token(&w.app, "to-2", Role::TownshipOfficer, TOWNSHIP, None);
    let r = w
        .act(&second, &id, reported, "ACCEPT", "", None, "stale-000002")
        .await;
    assert_eq!(conflict_of(&r), conflict, "{:?}", r.body);
    // The department, whose turn it is, on a version before the routing: responding is
    // legal now, but the caller decided on something else.
    let r = w
        .act(
            &w.clerk(Department::CivilAffairs),
            &id,
            accepted,
            "RESPOND",
            "paid",
            None,
            "stale-000003",
        )
        .await;
    assert_eq!(conflict_of(&r), conflict, "{:?}", r.body);

    let stored = service_request::Entity::find_by_id(id.clone())
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(i64::from(stored.version), current);
    assert_eq!(stored.status, "ROUTED");
}

#[tokio::test]
async fn work_lists_show_each_level_its_own() {
    let w = world(|_| {}).await;
    let (a, av) = w.opened("JL-MZ-003").await;
    let other = token(
        &w.app,
        "va-2",
        Role::VillageAssistant,
        &w.other_village,
        None,
    );
    let b = w
        .open(&other, &w.other_resident, "JL-YB-001", "list-open-b1")
        .await
        .data()["openServiceRequest"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accepted = w.step(&w.township(), &a, av, "ACCEPT", None).await;
    let since = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    w.step(
        &w.township(),
        &a,
        version(&accepted),
        "ROUTE",
        Some("CIVIL_AFFAIRS"),
    )
    .await;
    let list = |token: String, filter: &'static str| {
        let app = &w.app;
        async move {
            let response = app
                .graphql_owned(format!(
                    "{{ serviceRequests(filter: {filter}) {{ totalCount nodes {{ id }} }} }}"
                ))
                .bearer(token)
                .purpose("SERVICE_HANDLING")
                .send()
                .await;
            let mut ids: Vec<String> = response.data()["serviceRequests"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{:?}", response.body))
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(list(w.assistant(), "{}").await, vec![a.clone()]);
    assert_eq!(list(other.clone(), "{}").await, vec![b.clone()]);
    assert_eq!(list(w.township(), "{}").await, both);
    assert_eq!(
        list(w.township(), "{ awaitingMe: true }").await,
        vec![b.clone()]
    );
    assert_eq!(
        list(w.clerk(Department::CivilAffairs), "{}").await,
        vec![a.clone()]
    );
    assert_eq!(
        list(w.clerk(Department::CivilAffairs), "{ awaitingMe: true }").await,
        vec![a.clone()]
    );
    assert!(
        list(w.clerk(Department::MedicalInsurance), "{}")
            .await
            .is_empty()
    );
    // The police see no requests at all: their schema has no work list, and the hub
    // refuses it rather than answering an empty one.
    let police = w
        .app
        .graphql("{ serviceRequests { totalCount } }")
        .bearer(token(&w.app, "p", Role::Police, TOWNSHIP, None))
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(police.error_codes(), ["FORBIDDEN"]);
    let since = since.to_rfc3339();
    let filter: &'static str =
        Box::leak(format!("{{ updatedSince: \"{since}\" }}").into_boxed_str());
    assert_eq!(list(w.township(), filter).await, vec![a.clone()]);
    assert_eq!(
        list(w.township(), "{ statuses: [REPORTED] }").await,
        vec![b.clone()]
    );
    // A single request outside the caller's scope answers like none.
    let response = w
        .app
        .graphql_owned(format!("{{ serviceRequest(id: \"{b}\") {{ id }} }}"))
        .bearer(w.assistant())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert_eq!(response.data()["serviceRequest"], Value::Null);
}

#[tokio::test]
async fn reading_and_changing_requests_is_in_the_audit_log() {
    let w = world(|_| {}).await;
    let (id, v) = w.opened("JL-MZ-003").await;
    w.step(&w.township(), &id, v, "ACCEPT", None).await;
    w.app
        .graphql_owned(format!(
            "{{ serviceRequest(id: \"{id}\") {{ status resident {{ name }} }} }}"
        ))
        .bearer(w.township())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    let records = entities::audit_record::Entity::find()
        .all(&w.app.db)
        .await
        .unwrap();
    let acted: Vec<&str> = records
        .iter()
        .filter(|r| r.target == id)
        .map(|r| r.action.as_str())
        .collect();
    assert!(acted.contains(&"service_request.open"), "{acted:?}");
    assert!(acted.contains(&"service_request.act"), "{acted:?}");
    let reads = records
        .iter()
        .filter(|r| r.action == "resident.read" && r.target == w.resident && r.subject == "to-1")
        .filter(|r| r.field_groups.contains("service_request"))
        .count();
    assert!(reads >= 2, "the township's reads of the request are logged");
}

#[tokio::test]
async fn a_county_sees_the_provincial_its_prefectures_and_its_own_items() {
    let w = world(|_| {}).await;
    let codes = |region: &'static str| {
        let app = &w.app;
        async move {
            let response = app
                .graphql_owned(format!(
                    "{{ catalogue(region: \"{region}\", first: 100) {{ totalCount nodes {{ code level issuedBy }} }} }}"
                ))
                .send()
                .await;
            response.data()["catalogue"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["code"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let nongan = codes("220122").await;
    assert!(nongan.contains(&"NA-NY-001".to_owned()) && nongan.contains(&"CC-MZ-001".to_owned()));
    let jilin_city = codes("220201").await;
    assert!(
        !jilin_city.contains(&"CC-MZ-001".to_owned())
            && !jilin_city.contains(&"NA-NY-001".to_owned())
    );
    assert_eq!(nongan.len(), jilin_city.len() + 2);
    assert!((25..=40).contains(&jilin_city.len()));

    // Admins add and retire; others may not.
    let admin = token(&w.app, "ad-1", Role::Admin, "2201", None);
    let add = "mutation($input: AddCatalogueItemInput!) { addCatalogueItem(input: $input) { replayed item { code level retiredAt } } }";
    let input = json!({ "input": { "idempotencyKey": "add-item-0001", "code": "CC-TY-009",
        "name": "长春市退役军人走访慰问", "department": "VETERANS_AFFAIRS", "issuedBy": "2201",
        "modes": ["IN_VILLAGE"], "timeLimitDays": 5 }});
    let added = w
        .app
        .graphql(add)
        .variables(input.clone())
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(
        added.data()["addCatalogueItem"]["item"]["level"],
        "MUNICIPAL_GUIDANCE"
    );
    let again = w
        .app
        .graphql(add)
        .variables(input.clone())
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(again.data()["addCatalogueItem"]["replayed"], true);
    let province_admin_only = w
        .app
        .graphql(add)
        .variables(json!({ "input": { "idempotencyKey": "add-item-0002", "code": "JL-X-001",
            "name": "x", "department": "HEALTH", "issuedBy": "22", "modes": ["ONLINE"], "timeLimitDays": 5 }}))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(province_admin_only.error_codes(), vec!["FORBIDDEN"]);
    let not_admin = w
        .app
        .graphql(add)
        .variables(input)
        .bearer(w.township())
        .send()
        .await;
    assert_eq!(not_admin.error_codes(), vec!["FORBIDDEN"]);

    // A retired item stays readable on its requests and takes no new ones.
    let (id, _) = w.opened("JL-MZ-008").await;
    let retire = w
        .app
        .graphql("mutation { retireCatalogueItem(input: { idempotencyKey: \"retire-0001\", code: \"JL-MZ-008\" }) { item { retiredAt } } }")
        .bearer(token(&w.app, "ad-0", Role::Admin, "22", None))
        .send()
        .await;
    assert!(retire.data()["retireCatalogueItem"]["item"]["retiredAt"].is_string());
    let read = w
        .app
        .graphql_owned(format!(
            "{{ serviceRequest(id: \"{id}\") {{ catalogueItem {{ code retiredAt }} }} }}"
        ))
        .bearer(w.assistant())
        .purpose("SERVICE_HANDLING")
        .send()
        .await;
    assert!(read.data()["serviceRequest"]["catalogueItem"]["retiredAt"].is_string());
    let refused = w
        .open(&w.assistant(), &w.resident, "JL-MZ-008", "open-retired-1")
        .await;
    assert_eq!(refused.error_codes(), vec!["BAD_USER_INPUT"]);
    assert!(!codes("220122").await.contains(&"JL-MZ-008".to_owned()));
}

/// The caller's level in the lifecycle, as the hub binds roles to turns.
fn level(role: Role) -> Option<cunhub::workflow::lifecycle::Level> {
    use cunhub::workflow::lifecycle::Level;
    match role {
        Role::VillageAssistant => Some(Level::Village),
        Role::TownshipOfficer => Some(Level::Township),
        Role::DepartmentClerk => Some(Level::Department),
        _ => None,
    }
}

/// Every role × every request action × every open status, expected from the policy file
/// alone: allowed where the role's `[work]` row lists the action, it is the role's turn
/// and the lifecycle has the transition; refused (changing nothing) everywhere else.
async fn work_matrix_holds(policy_file: Option<&std::path::Path>) {
    use cunhub::{
        policy::{Policy, WorkAction},
        workflow::{
            lifecycle::{Action, Status},
            work_action,
        },
    };
    let path = policy_file.map(std::path::Path::to_path_buf);
    let w = world(move |s| s.access.policy_file = path).await;
    let policy = match policy_file {
        Some(path) => Policy::load(path).unwrap(),
        None => Policy::built_in().unwrap(),
    };
    let roles: Vec<(Role, Option<Department>, String)> = vec![
        (Role::VillageAssistant, None, w.village.clone()),
        (Role::TownshipOfficer, None, TOWNSHIP.into()),
        (
            Role::DepartmentClerk,
            Some(Department::CivilAffairs),
            "220122".into(),
        ),
        (
            Role::DepartmentClerk,
            Some(Department::Health),
            "220122".into(),
        ),
        (Role::Police, None, TOWNSHIP.into()),
        (Role::Admin, None, "22".into()),
    ];
    let purposeless = [
        Role::Dashboard,
        Role::Integrator,
        Role::Auditor,
        Role::Resident,
    ];
    let statuses = [
        ("REPORTED", Status::Reported),
        ("ACCEPTED", Status::Accepted),
        ("ROUTED", Status::Routed),
        ("RESPONDED", Status::Responded),
        ("RESOLVED_BY_TOWNSHIP", Status::ResolvedByTownship),
        ("RETURNED", Status::Returned),
    ];
    let mut checked = 0;
    for (status_name, status) in statuses {
        let (shared, shared_version) = request_in(&w, status_name).await;
        for action in Action::ALL {
            for (role, dept, region) in &roles {
                let principal_dept = *dept;
                let allowed = policy.may(*role, work_action(action))
                    && level(*role).is_some()
                    && level(*role) == status.next_actor()
                    && cunhub::workflow::lifecycle::apply(status, action).is_ok()
                    && (level(*role) != Some(cunhub::workflow::lifecycle::Level::Department)
                        || principal_dept == Some(Department::CivilAffairs));
                let token = token(&w.app, "matrix", *role, region, *dept);
                let dept_arg = (action == Action::Route).then_some("HEALTH");
                let key = format!("m-{}", uuid::Uuid::new_v4().simple());
                let (id, version) = if allowed {
                    request_in(&w, status_name).await
                } else {
                    (shared.clone(), shared_version)
                };
                let response = w
                    .act(
                        &token,
                        &id,
                        version,
                        action.code(),
                        "matrix",
                        dept_arg,
                        &key,
                    )
                    .await;
                assert_eq!(
                    response.error_codes().is_empty(),
                    allowed,
                    "{role} {dept:?} {} on {status_name}: {:?}",
                    action.code(),
                    response.body
                );
                checked += 1;
            }
        }
        let stored = service_request::Entity::find_by_id(shared.clone())
            .one(&w.app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(i64::from(stored.version), shared_version);
    }
    for (role, dept, region) in &roles {
        let token = token(&w.app, "matrix", *role, region, *dept);
        let key = format!("m-open-{}", uuid::Uuid::new_v4().simple());
        let response = w.open(&token, &w.resident, "JL-MZ-003", &key).await;
        assert_eq!(
            response.error_codes().is_empty(),
            policy.may(*role, WorkAction::OpenRequest),
            "{role} opening: {:?}",
            response.body
        );
    }
    for role in purposeless {
        let dept = role.needs_department().then_some(Department::CivilAffairs);
        let token = token(&w.app, "matrix", role, &w.village, dept);
        let response = w
            .open(&token, &w.resident, "JL-MZ-003", "m-open-none-1")
            .await;
        assert!(
            !response.error_codes().is_empty(),
            "{role} opened a request"
        );
    }
    assert!(checked >= 6 * 9 * 6);
}

#[tokio::test]
async fn the_work_matrix_follows_the_built_in_policy() {
    work_matrix_holds(None).await;
}

#[tokio::test]
async fn a_changed_policy_file_changes_who_may_act() {
    // The township may no longer reject, nor the department send back to the township.
    let text = cunhub::policy::Policy::built_in_text()
        .replace(
            "\"route\", \"return\", \"reject\", \"acknowledge_alert\"",
            "\"route\", \"return\", \"acknowledge_alert\"",
        )
        .replace(
            "actions = [\"respond\", \"return_to_township\", \"reject\"]",
            "actions = [\"respond\", \"reject\"]",
        );
    assert_ne!(text, cunhub::policy::Policy::built_in_text());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, text).unwrap();
    work_matrix_holds(Some(&path)).await;
}
