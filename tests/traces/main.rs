//! Traces end to end: the hub exports its spans over OTLP/HTTP to a collector this test
//! runs (a small server decoding the protobuf export), with the simulators as the
//! departments. A process of its own, because the exporter is installed process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::{
    collections::{HashMap, HashSet},
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, web};
use cunhub::{
    auth::Role,
    sim::{Department as Sim, SimCluster, population::Registration},
    telemetry::{self, LogSettings, Telemetry, TracingSettings},
};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::{AnyValue, KeyValue, any_value},
    trace::v1::{Span, span::SpanKind},
};
use prost::Message;
use serde_json::json;

use helpers::{TestApp, TestResponse, spawn_hub_with_departments};

const FULL_VIEW: &str = r#"query ResidentView($n: String!) { residentByIdNumber(idNumber: $n) {
    id name idNumber phone
    medicalInsurance { enrolments { scheme status } }
    socialInsurance { schemes { kind status } }
    assistance { programmes { programme status } }
    householdRegistration { status registeredAddress }
} }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_resident_read_is_one_trace_from_the_caller_through_every_department() {
    let collector = Collector::start();
    let telemetry = Arc::new(telemetry::init(
        &LogSettings {
            level: "warn".into(),
            ..LogSettings::default()
        },
        &TracingSettings {
            endpoint: collector.url.clone(),
            instance_id: "hub-under-test".into(),
            export_timeout: Duration::from_secs(2),
            ..TracingSettings::default()
        },
    ));
    assert!(telemetry.is_tracing());
    let (app, cluster) = spawn_hub_with_departments(5, |_| {}).await;
    let (first, second) = two_people_every_department_knows(&cluster);
    let token = app.token(Role::Admin, "22");

    // The caller's own trace: the hub's spans join it.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response = read(
        &app,
        &token,
        &first,
        Some(&format!("00-{trace}-{caller_span}-01")),
    )
    .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    assert_eq!(
        response
            .headers
            .get("x-trace-id")
            .and_then(|v| v.to_str().ok()),
        Some(trace),
        "the response names the trace"
    );
    assert!(flush(&telemetry).await, "the collector took the spans");
    let spans = collector.spans_of(trace);

    let by_name = |name: &str| -> Vec<&Span> { spans.iter().filter(|s| s.name == name).collect() };

    // The request continues the caller's span.
    let requests = by_name("POST /graphql");
    assert_eq!(requests.len(), 1, "{:#?}", names(&spans));
    let request = requests[0];
    assert_eq!(hex(&request.parent_span_id), caller_span);
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(
        attribute(request, "http.route").as_deref(),
        Some("/graphql")
    );
    assert_eq!(
        attribute(request, "http.response.status_code").as_deref(),
        Some("200")
    );
    let db_calls: u64 = attribute(request, "db.calls")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(db_calls > 0, "database calls are counted on the request");

    // The operation, under the request.
    let operations = by_name("query ResidentView");
    assert_eq!(operations.len(), 1, "{:#?}", names(&spans));
    let operation = operations[0];
    assert_eq!(operation.parent_span_id, request.span_id);
    assert_eq!(
        attribute(operation, "graphql.operation.type").as_deref(),
        Some("query")
    );

    // Each department asked once, under the operation, answered, breaker closed; each
    // attempt under its call.
    let calls: Vec<&Span> = spans
        .iter()
        .filter(|s| attribute(s, "operation").is_some() && attribute(s, "attempts").is_some())
        .collect();
    let mut departments: Vec<String> = Vec::new();
    for call in &calls {
        let department = attribute(call, "department").unwrap();
        if call.parent_span_id == operation.span_id {
            departments.push(department.clone());
        }
        assert_eq!(
            attribute(call, "outcome").as_deref(),
            Some("ok"),
            "{call:?}"
        );
        assert_eq!(attribute(call, "breaker").as_deref(), Some("closed"));
        assert_eq!(attribute(call, "attempts").as_deref(), Some("1"));
        assert_eq!(call.kind, SpanKind::Client as i32);
    }
    departments.sort();
    departments.dedup();
    assert_eq!(
        departments,
        [
            "civil_affairs",
            "medical_insurance",
            "public_security",
            "social_security"
        ],
        "{:#?}",
        names(&spans)
    );
    let call_ids: HashSet<Vec<u8>> = calls.iter().map(|c| c.span_id.clone()).collect();
    let attempts: Vec<&Span> = spans
        .iter()
        .filter(|s| attribute(s, "attempt").is_some())
        .collect();
    assert!(!attempts.is_empty());
    for attempt in &attempts {
        assert!(call_ids.contains(&attempt.parent_span_id), "{attempt:?}");
        assert_eq!(attribute(attempt, "outcome").as_deref(), Some("ok"));
    }

    // The audit write, under the operation.
    let audit = by_name("audit.write");
    assert_eq!(audit.len(), 1, "{:#?}", names(&spans));
    assert_eq!(audit[0].parent_span_id, operation.span_id);
    assert_eq!(attribute(audit[0], "outcome").as_deref(), Some("written"));

    // Every department saw the trace, with one of its attempts as the parent.
    let attempt_of: HashMap<String, String> = attempts
        .iter()
        .map(|a| (hex(&a.span_id), attribute(a, "department").unwrap()))
        .collect();
    for (sim, department) in [
        (Sim::MedicalInsurance, "medical_insurance"),
        (Sim::SocialSecurity, "social_security"),
        (Sim::CivilAffairs, "civil_affairs"),
        (Sim::PublicSecurity, "public_security"),
    ] {
        let seen = cluster.knobs(sim).unwrap().stats().traceparents;
        let parents: Vec<&str> = seen
            .iter()
            .filter_map(|header| {
                let mut parts = header.split('-');
                let (_, t, parent) = (parts.next()?, parts.next()?, parts.next()?);
                (t == trace).then_some(parent)
            })
            .collect();
        assert!(!parents.is_empty(), "{department} saw {seen:?}");
        for parent in parents {
            assert_eq!(
                attempt_of.get(parent).map(String::as_str),
                Some(department),
                "{department} was called from one of its attempts"
            );
        }
    }

    // The resource says which hub this is.
    let resources = collector.resources();
    assert!(resources.iter().any(|r| {
        r.get("service.name").map(String::as_str) == Some("cunhub")
            && r.get("service.instance.id").map(String::as_str) == Some("hub-under-test")
    }));

    // No span (of any trace so far: the sync, the requests) carries an ID number, a
    // name, a phone number or a token.
    let again_up = read(&app, &token, &first, None).await;
    flush(&telemetry).await;
    let mut secrets: Vec<String> = cluster
        .population
        .people
        .iter()
        .flat_map(|p| {
            [
                p.id_number.as_str().to_owned(),
                p.name.to_string(),
                p.phone.to_string(),
            ]
        })
        .collect();
    // (A person without a phone has phone number 0.)
    secrets.retain(|s| s.len() >= 4);
    secrets.push(token.clone());
    secrets.push(cluster.credentials.social_api_key.clone());
    secrets.push(cluster.credentials.police_client_secret.clone());
    let values = collector.all_values();
    assert!(values.len() > 50, "the scan sees the attributes");
    for value in &values {
        for secret in &secrets {
            assert!(
                !value.contains(secret.as_str()),
                "a span attribute carries personal data or a secret: {value}"
            );
        }
    }

    // A collector that is down changes nothing for the caller.
    collector.stop().await;
    let down = read(&app, &token, &first, None).await;
    assert_eq!(down.status, again_up.status);
    assert_eq!(down.body["data"], again_up.body["data"]);
    let live = read(&app, &token, &second, None).await;
    assert!(live.body.get("errors").is_none(), "{}", live.body);
    assert!(
        live.headers.contains_key("x-trace-id"),
        "still traced, only not exported"
    );
    assert!(!flush(&telemetry).await, "the export fails, and says so");
    let after = read(&app, &token, &first, None).await;
    assert_eq!(after.body["data"], again_up.body["data"]);
}

async fn read(
    app: &TestApp,
    token: &str,
    id_number: &str,
    traceparent: Option<&str>,
) -> TestResponse {
    let mut call = app
        .graphql(FULL_VIEW)
        .variables(json!({ "n": id_number }))
        .bearer(token)
        .purpose("VISIT");
    if let Some(traceparent) = traceparent {
        call = call.header("traceparent", traceparent);
    }
    call.send().await
}

/// Two normal residents with records at every department.
fn two_people_every_department_knows(cluster: &SimCluster) -> (String, String) {
    let mut people = cluster.population.people.iter().filter(|p| {
        matches!(p.registration, Registration::Normal)
            && p.medical.is_some()
            && p.social.is_some()
            && !p.assistance.is_empty()
    });
    let first = people.next().expect("one person every department knows");
    let second = people.next().expect("a second one");
    (
        first.id_number.as_str().to_owned(),
        second.id_number.as_str().to_owned(),
    )
}

async fn flush(telemetry: &Arc<Telemetry>) -> bool {
    let telemetry = telemetry.clone();
    tokio::task::spawn_blocking(move || telemetry.flush())
        .await
        .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(value: &Option<AnyValue>) -> Option<String> {
    Some(match value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::DoubleValue(d) => d.to_string(),
        any_value::Value::BoolValue(b) => b.to_string(),
        other => format!("{other:?}"),
    })
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    find(&span.attributes, key)
}

fn find(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| text(&kv.value))
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

/// An OTLP/HTTP receiver keeping every export it is sent.
struct Collector {
    url: String,
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    handle: ServerHandle,
}

impl Collector {
    fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let store = web::Data::new(received.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(store.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .route("/v1/traces", web::post().to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            received,
            handle,
        }
    }

    async fn stop(&self) {
        self.handle.stop(false).await;
    }

    fn exports(&self) -> Vec<ExportTraceServiceRequest> {
        self.received.lock().unwrap().clone()
    }

    fn all_spans(&self) -> Vec<Span> {
        self.exports()
            .into_iter()
            .flat_map(|e| e.resource_spans)
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .collect()
    }

    fn spans_of(&self, trace: &str) -> Vec<Span> {
        self.all_spans()
            .into_iter()
            .filter(|s| hex(&s.trace_id) == trace)
            .collect()
    }

    fn resources(&self) -> Vec<HashMap<String, String>> {
        self.exports()
            .into_iter()
            .flat_map(|e| e.resource_spans)
            .filter_map(|r| r.resource)
            .map(|r| {
                r.attributes
                    .iter()
                    .filter_map(|kv| Some((kv.key.clone(), text(&kv.value)?)))
                    .collect()
            })
            .collect()
    }

    /// Every attribute value of every span and span event, as text.
    fn all_values(&self) -> Vec<String> {
        let mut values = Vec::new();
        for span in self.all_spans() {
            values.push(span.name.clone());
            let events = span.events.iter().flat_map(|e| e.attributes.iter());
            for kv in span.attributes.iter().chain(events) {
                values.extend(text(&kv.value));
            }
        }
        values
    }
}

async fn receive(
    store: web::Data<Arc<Mutex<Vec<ExportTraceServiceRequest>>>>,
    body: web::Bytes,
) -> HttpResponse {
    match ExportTraceServiceRequest::decode(body) {
        Ok(export) => {
            store.lock().unwrap().push(export);
            HttpResponse::Ok()
                .content_type("application/x-protobuf")
                .body(ExportTraceServiceResponse::default().encode_to_vec())
        }
        Err(err) => HttpResponse::BadRequest().body(err.to_string()),
    }
}
