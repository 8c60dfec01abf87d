//! The three built-in definitions against their simulators, end to end: authentication,
//! answers mapped onto the views, paging, batches, failure codes, outages and garbage.

use std::time::Duration;

use cunhub::adapters::declared::{DeclaredAdapter, DeclaredView};
use cunhub::adapters::{
    AdapterError, Departments, DepartmentsSettings, ErrorKind, Rejection, Source,
};
use cunhub::domain::views::{
    CardStatus, ContractStatus, PovertyKind, ServicePackage, VeteranCategory,
};
use cunhub::domain::{IdNumber, RegionCode};
use cunhub::sim::population::{CardState, Person};
use cunhub::sim::{Department as Sim, SimCluster};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::*;

/// Settings for every department of the cluster, with `change` applied after.
fn all_settings(
    cluster: &SimCluster,
    change: impl FnOnce(&mut DepartmentsSettings),
) -> Departments {
    let mut s = settings(cluster);
    cluster.configure(&mut s);
    s.defaults.retries = 0;
    change(&mut s);
    Departments::new(&s).unwrap()
}

fn first(cluster: &SimCluster, f: impl Fn(&Person) -> bool) -> &Person {
    cluster
        .population
        .people
        .iter()
        .find(|p| f(p))
        .expect("a person for the test")
}

fn village_of(cluster: &SimCluster, person: &Person) -> String {
    cluster.population.village_of(person).code.to_string()
}

fn system<'a, V: DeclaredView>(
    routes: &'a cunhub::adapters::declared::Routes<V>,
    village: &str,
) -> &'a DeclaredAdapter<V> {
    routes
        .for_village(village)
        .expect("a system for the village")
}

#[tokio::test]
async fn a_veteran_is_read_through_the_app_key_and_mapped_onto_the_view() {
    let cluster = cluster(30, |_| {}).await;
    let deps = all_settings(&cluster, |_| {});
    let veteran = first(&cluster, |p| p.veteran.is_some() && p.is_normal());
    let facts = veteran.veteran.as_ref().unwrap();
    let village = village_of(&cluster, veteran);
    let adapter = system(&deps.declared.veterans, &village);
    let view = adapter
        .person(&veteran.id_number, &ctx(5000))
        .await
        .unwrap()
        .value
        .expect("on the register");
    let category = match facts.category {
        1 => VeteranCategory::Veteran,
        2 => VeteranCategory::MartyrFamily,
        5 => VeteranCategory::ServingSoldierFamily,
        _ => VeteranCategory::DisabledVeteran,
    };
    assert_eq!(view.category, category);
    assert_eq!(view.in_difficulty, facts.in_difficulty);
    assert_eq!(view.deceased, facts.deceased);
    assert_eq!(view.name.as_deref(), Some(veteran.name.as_str()));
    match facts.card {
        CardState::Issued(on) => {
            assert_eq!(view.card_status, CardStatus::Issued);
            assert_eq!(view.card_issued_on, Some(on));
            assert!(view.card_number.is_some());
        }
        CardState::Applied => assert_eq!(view.card_status, CardStatus::Applied),
        CardState::None => assert_eq!(view.card_status, CardStatus::None),
    }
    // Someone the platform does not know: no record, no error.
    let other = first(&cluster, |p| p.veteran.is_none());
    assert!(
        adapter
            .person(&other.id_number, &ctx(5000))
            .await
            .unwrap()
            .value
            .is_none()
    );
    // A wrong key is refused by the platform, and says so.
    let refused = all_settings(&cluster, |s| {
        s.systems.get_mut("jilin_veterans").unwrap().api_key = Some(SecretString::from("wrong"));
    });
    let e = system(&refused.declared.veterans, &village)
        .person(&veteran.id_number, &ctx(5000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            AdapterError::Rejected {
                reason: Rejection::Unauthorized,
                ..
            }
        ),
        "{e:?}"
    );
}

/// A copy of a built-in definition with `edit` applied, in a folder of its own (a file
/// named like a built-in replaces it).
fn folder_with(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("departments/{file}")).unwrap();
    std::fs::write(dir.path().join(file), edit(&text)).unwrap();
    dir
}

#[tokio::test]
async fn a_village_is_walked_page_by_page_by_number_next_link_and_offset() {
    let cluster = cluster(60, |_| {}).await;
    // One record a page, so that every walk takes several pages.
    let veterans = folder_with("veterans_affairs.toml", |t| {
        t.replace("size = 200", "size = 1")
    });
    let health = folder_with("health.toml", |t| t.replace("size = 100", "size = 1"));
    let rural = folder_with("agriculture.toml", |t| t.replace("size = 100", "size = 1"));
    let population = &cluster.population;
    for (dir, sim) in [
        (&veterans, Sim::VeteransAffairs),
        (&health, Sim::Health),
        (&rural, Sim::Agriculture),
    ] {
        let on_list = |p: &Person| match sim {
            Sim::VeteransAffairs => p.veteran.is_some(),
            Sim::Health => p.doctor.is_some(),
            _ => p.poverty.is_some(),
        };
        // The village with the most records on this department's list.
        let village = population
            .villages
            .iter()
            .max_by_key(|v| {
                population.people[v.people.start as usize..v.people.end as usize]
                    .iter()
                    .filter(|p| on_list(p))
                    .count()
            })
            .unwrap();
        let mut expected: Vec<IdNumber> = population.people
            [village.people.start as usize..village.people.end as usize]
            .iter()
            .filter(|p| on_list(p))
            .map(|p| p.id_number)
            .collect();
        expected.sort();
        assert!(
            expected.len() >= 2,
            "{sim:?}: a village with several records"
        );
        let code = RegionCode::parse(village.code.as_str()).unwrap();
        let deps = all_settings(&cluster, |s| {
            s.definitions_dir = Some(dir.path().to_path_buf())
        });
        let stats = cluster.knobs(sim).unwrap();
        stats.reset_stats();
        let ctx = ctx(20_000);
        let mut listed: Vec<IdNumber> = match sim {
            Sim::VeteransAffairs => system(&deps.declared.veterans, code.as_str())
                .village(&code, &ctx)
                .await
                .unwrap()
                .value
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
            Sim::Health => system(&deps.declared.family_doctor, code.as_str())
                .village(&code, &ctx)
                .await
                .unwrap()
                .value
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
            _ => system(&deps.declared.poverty, code.as_str())
                .village(&code, &ctx)
                .await
                .unwrap()
                .value
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        };
        listed.sort();
        assert_eq!(listed, expected, "{sim:?}");
        let pages: u64 = stats
            .stats()
            .by_operation
            .iter()
            .filter(|(op, _)| op.as_str() != "token")
            .map(|(_, n)| n)
            .sum();
        assert!(pages >= 2, "{sim:?} walked in {pages} pages");
    }
}

#[tokio::test]
async fn a_family_doctor_contract_takes_a_token_a_patient_and_a_care_team() {
    let cluster = cluster(30, |_| {}).await;
    let deps = all_settings(&cluster, |_| {});
    let signed = first(&cluster, |p| {
        p.doctor.as_ref().is_some_and(|d| d.active) && p.is_normal()
    });
    let facts = signed.doctor.as_ref().unwrap();
    let village = village_of(&cluster, signed);
    let adapter = system(&deps.declared.family_doctor, &village);
    let view = adapter
        .person(&signed.id_number, &ctx(5000))
        .await
        .unwrap()
        .value
        .expect("a contract");
    assert_eq!(view.status, ContractStatus::Active);
    assert_eq!(view.start, facts.start);
    let package = [
        ServicePackage::Basic,
        ServicePackage::Elderly,
        ServicePackage::Chronic,
        ServicePackage::Disabled,
    ];
    assert_eq!(view.package, Some(package[usize::from(facts.package)]));
    assert!(view.clinic_name.ends_with("卫生室"));
    let stats = cluster.knobs(Sim::Health).unwrap().stats();
    assert_eq!(stats.by_operation.get("token"), Some(&1));
    assert_eq!(stats.by_operation.get("Patient"), Some(&1));
    assert_eq!(stats.by_operation.get("CareTeam"), Some(&1));
    // Without a contract, and unknown to the platform: no record either way.
    let unsigned = first(&cluster, |p| p.doctor.is_none());
    assert!(
        adapter
            .person(&unsigned.id_number, &ctx(5000))
            .await
            .unwrap()
            .value
            .is_none()
    );
    let stranger = IdNumber::parse("11010519491231002X").unwrap();
    assert!(
        adapter
            .person(&stranger, &ctx(5000))
            .await
            .unwrap()
            .value
            .is_none()
    );
    // One token served every call.
    assert_eq!(
        cluster
            .knobs(Sim::Health)
            .unwrap()
            .stats()
            .by_operation
            .get("token"),
        Some(&1)
    );
    // A wrong client secret: the token is refused.
    let refused = all_settings(&cluster, |s| {
        s.systems.get_mut("jilin_health").unwrap().client_secret =
            Some(SecretString::from("wrong"));
    });
    let e = system(&refused.declared.family_doctor, &village)
        .person(&signed.id_number, &ctx(5000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            AdapterError::Rejected {
                reason: Rejection::Unauthorized,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn relapse_monitoring_is_asked_in_signed_batches_of_fifty() {
    let cluster = cluster(40, |_| {}).await;
    let deps = all_settings(&cluster, |_| {});
    let village = cluster.population.villages[0].code.to_string();
    let adapter = system(&deps.declared.poverty, &village);
    let people: Vec<&Person> = cluster.population.people.iter().take(60).collect();
    let ids: Vec<IdNumber> = people.iter().map(|p| p.id_number).collect();
    let answers = adapter.people(&ids, &ctx(10_000)).await;
    assert_eq!(answers.len(), 60);
    for person in &people {
        let view = answers[&person.id_number].as_ref().unwrap().value.clone();
        assert_eq!(
            view.is_some(),
            person.poverty.is_some(),
            "{}",
            person.id_number
        );
        if let (Some(view), Some(facts)) = (view, person.poverty.as_ref()) {
            let kind = if facts.kind == 2 {
                PovertyKind::Monitored
            } else {
                PovertyKind::LiftedOutOfPoverty
            };
            assert_eq!(view.kind, kind);
            assert_eq!(view.risk_eliminated, facts.eliminated.is_some());
            assert_eq!(
                view.has_employment_assistance(),
                facts.assistance.iter().any(|(k, _)| *k == "EMPLOYMENT")
            );
            assert!(view.assistance.iter().all(|a| a.since.is_some()));
        }
    }
    let stats = cluster.knobs(Sim::Agriculture).unwrap().stats();
    assert_eq!(stats.by_operation.get("query"), Some(&2), "50 and 10");
    // Asked again within the freshness, nothing is called.
    let again = adapter.people(&ids, &ctx(10_000)).await;
    assert!(
        again
            .values()
            .all(|a| a.as_ref().unwrap().source == Source::Cache)
    );
    // A wrong secret: the platform refuses the signature.
    let refused = all_settings(&cluster, |s| {
        s.systems
            .get_mut("jilin_rural_revitalization")
            .unwrap()
            .app_secret = Some(SecretString::from("wrong"));
    });
    let e = system(&refused.declared.poverty, &village)
        .person(&ids[0], &ctx(5000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            AdapterError::Rejected {
                reason: Rejection::Unauthorized,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_signed_request_replayed_is_refused() {
    use hmac::{Hmac, Mac};
    use sm3::{Digest, Sm3};
    let cluster = cluster(10, |_| {}).await;
    let base = cluster.base_url(Sim::Agriculture).unwrap();
    let body = br#"{"idCards":["11010519491231002X"]}"#;
    let timestamp = chrono::Utc::now().timestamp_millis().to_string();
    let nonce = "0123456789abcdef0123";
    let canonical = format!(
        "POST\n/prr/v1/persons/query\n\n{timestamp}\n{nonce}\n{}",
        hex::encode(Sm3::digest(body))
    );
    let mut mac =
        Hmac::<Sm3>::new_from_slice(cluster.credentials.rural_app_secret.as_bytes()).unwrap();
    mac.update(canonical.as_bytes());
    let sign = hex::encode(mac.finalize().into_bytes());
    let client = reqwest::Client::new();
    let send = |timestamp: String| {
        client
            .post(format!("{base}/prr/v1/persons/query"))
            .header("appId", cluster.credentials.rural_app_id.as_str())
            .header("timestamp", timestamp)
            .header("nonce", nonce)
            .header("sign", sign.as_str())
            .body(body.to_vec())
            .send()
    };
    let first: serde_json::Value = send(timestamp.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(first["code"], "0", "{first}");
    assert_eq!(first["data"]["notFound"], json!(["11010519491231002X"]));
    let replayed: serde_json::Value = send(timestamp).await.unwrap().json().await.unwrap();
    assert_eq!(replayed["code"], "4012");
    let stale: serde_json::Value = send("1000".into()).await.unwrap().json().await.unwrap();
    assert_eq!(stale["code"], "4011");
}

#[tokio::test]
async fn outages_garbage_and_failures_become_typed_errors_and_stale_answers() {
    let cluster = cluster(30, |_| {}).await;
    let deps = all_settings(&cluster, |s| {
        let veterans = s.systems.get_mut("jilin_veterans").unwrap();
        veterans.cache_ttl = Some(Duration::ZERO);
    });
    let veteran = first(&cluster, |p| p.veteran.is_some());
    let village = village_of(&cluster, veteran);
    let adapter = system(&deps.declared.veterans, &village);
    let id = veteran.id_number;
    assert_eq!(
        adapter.person(&id, &ctx(5000)).await.unwrap().source,
        Source::Live
    );
    knobs(
        &cluster,
        Sim::VeteransAffairs,
        json!({"outage": "unavailable"}),
    );
    let stale = adapter.person(&id, &ctx(5000)).await.unwrap();
    assert_eq!(
        stale.source,
        Source::Stale,
        "served stale while the platform is down"
    );
    let other = first(&cluster, |p| p.veteran.is_none());
    let e = adapter
        .person(&other.id_number, &ctx(5000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert_eq!(e.code(), "DEPARTMENT_UNAVAILABLE");
    // A cut answer (of a veteran not asked before, so nothing stale stands in).
    knobs(
        &cluster,
        Sim::VeteransAffairs,
        json!({"outage": "none", "garbage_rate": 1.0}),
    );
    let unasked = cluster
        .population
        .people
        .iter()
        .find(|p| p.veteran.is_some() && p.id_number != id)
        .unwrap();
    let e = adapter
        .person(&unasked.id_number, &ctx(5000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
    knobs(
        &cluster,
        Sim::VeteransAffairs,
        json!({"garbage_rate": 0.0, "error_rate": 1.0}),
    );
    let e = adapter
        .person(&other.id_number, &ctx(5000))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e:?}");
    // Health's throttling comes as an OperationOutcome with HTTP 429.
    knobs(&cluster, Sim::Health, json!({"rate_limit_per_sec": 1}));
    let health = system(&deps.declared.family_doctor, &village);
    let mut limited = None;
    for person in cluster.population.people.iter().take(6) {
        if let Err(e) = health.person(&person.id_number, &ctx(5000)).await {
            limited = Some(e);
            break;
        }
    }
    assert_eq!(limited.map(|e| e.kind()), Some(ErrorKind::RateLimited));
}

/// A county platform that speaks SOAP in GBK: the same view, read from XML.
const SOAP_DEFINITION: &str = r#"
name = "soap_veterans"
department = "veterans_affairs"
view = "veteran"
regions = ["220122101"]

[auth]
kind = "api_key"
header = "X-Key"

[answer]
format = "xml"
encoding = "GBK"
code = "$.Envelope.Body.Fault.faultcode"

[errors]
"soap:Client" = "bad_request"

[[person]]
method = "POST"
path = "/ws/VeteranService"
body = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><QueryVeteran><IdCard>{id_number}</IdCard></QueryVeteran></soap:Body></soap:Envelope>"
content_type = "text/xml; charset=utf-8"
records = "$.Envelope.Body.QueryVeteranResponse.Veteran"

[fields]
id_number = "$.IdCard"
name = "$.Name"
category = { path = "$.Category['#text']", codes = { "01" = "VETERAN", "06" = "DISABLED_VETERAN" } }
disability_level = "$.Category['@level']"
card_status = { path = "$.Card['@status']", codes = { "1" = "ISSUED", "0" = "NONE" } }
card_issued_on = { path = "$.Card.IssuedOn", date = "%Y%m%d" }
in_difficulty = "$.InDifficulty"
deceased = "$.Deceased"
"#;

#[tokio::test]
async fn an_xml_answer_in_gbk_maps_onto_the_same_view() {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let cluster = cluster(10, |_| {}).await;
    let person = cluster.population.people[0].clone();
    let known = person.id_number.to_string();
    let server = HttpServer::new(move || {
        let known = known.clone();
        App::new().route(
            "/ws/VeteranService",
            web::post().to(move |body: String, request: actix_web::HttpRequest| {
                let known = known.clone();
                async move {
                    let typed = request
                        .headers()
                        .get("content-type")
                        .is_some_and(|v| v.as_bytes().starts_with(b"text/xml"));
                    let keyed = request.headers().get("X-Key").is_some_and(|v| v == "k");
                    let envelope = |inner: String| {
                        format!(r#"<?xml version="1.0" encoding="GBK"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{inner}</soap:Body></soap:Envelope>"#)
                    };
                    let text = if !typed || !keyed {
                        envelope("<soap:Fault><faultcode>soap:Client</faultcode><faultstring>拒绝</faultstring></soap:Fault>".into())
                    } else if body.contains(&format!("<IdCard>{known}</IdCard>")) {
                        envelope(format!(
                            "<QueryVeteranResponse><Veteran><IdCard>{known}</IdCard><Name>王&#x2000B;</Name><Category level=\"4\">06</Category><Card status=\"1\"><IssuedOn>20240105</IssuedOn></Card><InDifficulty>1</InDifficulty><Deceased>0</Deceased></Veteran></QueryVeteranResponse>"
                        ))
                    } else {
                        envelope("<QueryVeteranResponse/>".into())
                    };
                    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
                    HttpResponse::Ok()
                        .content_type("text/xml; charset=GBK")
                        .body(bytes.into_owned())
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    tokio::spawn(running);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("soap_veterans.toml"), SOAP_DEFINITION).unwrap();
    let deps = all_settings(&cluster, |s| {
        s.definitions_dir = Some(dir.path().to_path_buf());
        let system = s.systems.entry("soap_veterans".into()).or_default();
        system.base_url = format!("http://{address}");
        system.api_key = Some(SecretString::from("k"));
    });
    let village = village_of(&cluster, &person);
    let adapter = system(&deps.declared.veterans, &village);
    assert_eq!(
        adapter.definition().name,
        "soap_veterans",
        "the township's platform answers"
    );
    let view = adapter
        .person(&person.id_number, &ctx(5000))
        .await
        .unwrap()
        .value
        .expect("on the register");
    assert_eq!(view.category, VeteranCategory::DisabledVeteran);
    assert_eq!(view.disability_level, Some(4));
    assert_eq!(view.card_status, CardStatus::Issued);
    assert_eq!(
        view.card_issued_on,
        chrono::NaiveDate::from_ymd_opt(2024, 1, 5)
    );
    assert!(view.in_difficulty && !view.deceased);
    assert_eq!(
        view.name.as_deref(),
        Some("王\u{2000B}"),
        "a character GBK cannot hold, sent as a reference"
    );
    let other = cluster.population.people[1].id_number;
    assert!(
        adapter
            .person(&other, &ctx(5000))
            .await
            .unwrap()
            .value
            .is_none()
    );
    handle.stop(true).await;
}
