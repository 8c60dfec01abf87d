//! A rolling restart: one of two `cunhub serve` processes behind a load balancer gets
//! SIGTERM while a load runs through the balancer, and no request fails. The balancer is a
//! small TCP proxy here, as HAProxy runs it in docs/deploy.md: round robin over the
//! instances whose `/readyz` answers 200 (checked every 100 ms), the next one when a
//! connection is refused.

use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cunhub::{
    auth::{AuthSettings, Role, TokenRequest, mint_development_token},
    domain::RegionCode,
    startup::prepare_database,
};
use futures_util::{SinkExt, StreamExt};
use secrecy::SecretString;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::harness::SharedDatabase;

const SECRET: &str = "cluster-secret-cluster-secret-cluster";

fn config(database: &SharedDatabase) -> String {
    format!(
        r#"[server]
metrics_bind = "off"
workers = 2
drain_delay = "1s"
shutdown_timeout = "10s"
[database]
url = "{url}"
max_connections = 4
[auth]
hs256_secret = "{SECRET}"
[audit]
checkpoint_key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
[privacy]
lookup_key = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
encryption_keys = {{ 1 = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=" }}
[log]
level = "warn"
"#,
        url = database.url
    )
}

/// `cunhub serve` as a child process.
struct Hub {
    child: Child,
    address: SocketAddr,
}

impl Hub {
    /// Starts `cunhub serve` with `config`, its log in `log`.
    fn start(config: &std::path::Path, log: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_cunhub"))
            .arg("--config")
            .arg(config)
            .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .env_remove("CUNHUB_TEST_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    async fn ready(&self) -> bool {
        ready(self.address).await
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn ready(address: SocketAddr) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    client
        .get(format!("http://{address}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// The load balancer: round robin over the ready backends.
async fn balancer(backends: Vec<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let health: Arc<Vec<AtomicBool>> =
        Arc::new(backends.iter().map(|_| AtomicBool::new(true)).collect());
    {
        let (health, backends) = (health.clone(), backends.clone());
        tokio::spawn(async move {
            loop {
                for (n, backend) in backends.iter().enumerate() {
                    health[n].store(ready(*backend).await, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }
    let turn = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                continue;
            };
            let (health, backends, turn) = (health.clone(), backends.clone(), turn.clone());
            tokio::spawn(async move {
                let first = turn.fetch_add(1, Ordering::SeqCst);
                for n in 0..backends.len() {
                    let pick = (first + n) % backends.len();
                    if !health[pick].load(Ordering::SeqCst) {
                        continue;
                    }
                    if let Ok(mut server) = TcpStream::connect(backends[pick]).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        return;
                    }
                }
            });
        }
    });
    address
}

#[tokio::test]
async fn stopping_one_instance_under_load_fails_no_request() {
    let database = SharedDatabase::create().await;
    prepare_database(&database.connect().await).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("cunhub.toml");
    std::fs::write(&config_path, config(&database)).unwrap();
    let mut leaving = Hub::start(&config_path, &dir.path().join("leaving.log"));
    let staying = Hub::start(&config_path, &dir.path().join("staying.log"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(leaving.ready().await && staying.ready().await) {
        assert!(Instant::now() < deadline, "the hubs did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let front = balancer(vec![leaving.address, staying.address]).await;
    let token = mint_development_token(
        &AuthSettings {
            hs256_secret: Some(SecretString::from(SECRET)),
            ..AuthSettings::default()
        },
        &TokenRequest {
            subject: Some("restart".into()),
            role: Role::TownshipOfficer,
            region: RegionCode::parse("220122101").unwrap(),
            department: None,
            id_number: None,
            ttl: Duration::from_secs(600),
        },
    )
    .unwrap();

    // A socket on the instance that will leave.
    let url = format!("ws://{}/graphql", leaving.address);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "token": token } }).to_string(),
        ))
        .await
        .unwrap();

    // And a subscription over server-sent events.
    let mut stream = reqwest::Client::new()
        .post(format!("http://{}/graphql/stream", leaving.address))
        .bearer_auth(&token)
        .header("x-purpose", "SERVICE_HANDLING")
        .header("accept", "text/event-stream")
        .json(&json!({ "query": "subscription { serviceRequestChanged { request { id } } }" }))
        .send()
        .await
        .unwrap();
    assert!(stream.status().is_success());

    // The load: clients keeping their connections, as browsers and apps do.
    let stop = Arc::new(AtomicBool::new(false));
    let (succeeded, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut clients = Vec::new();
    for _ in 0..6 {
        let (stop, succeeded, failed, token) = (
            stop.clone(),
            succeeded.clone(),
            failed.clone(),
            token.clone(),
        );
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::SeqCst) {
                let answer = client
                    .post(format!("http://{front}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": r#"{ region(code: "220122101") { name } }"# }))
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                let ok = match answer {
                    Ok(response) if response.status().is_success() => response
                        .json::<serde_json::Value>()
                        .await
                        .is_ok_and(|body| body["data"]["region"]["name"].is_string()),
                    Ok(response) => {
                        eprintln!("failed: HTTP {}", response.status());
                        false
                    }
                    Err(err) => {
                        eprintln!("failed: {err}");
                        false
                    }
                };
                let counter = if ok { &succeeded } else { &failed };
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = succeeded.load(Ordering::SeqCst);
    leaving.terminate();

    // It says so to the balancer's health check at once, and keeps serving meanwhile.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let readiness = reqwest::get(format!("http://{}/readyz", leaving.address))
        .await
        .unwrap();
    assert_eq!(readiness.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        readiness.json::<serde_json::Value>().await.unwrap()["status"],
        "draining"
    );

    // The socket is told to reconnect elsewhere.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("the socket closes");
    assert_eq!(closed, Some(1012));
    // The event stream ends without `complete`: its client reconnects elsewhere.
    let mut received = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            received.extend_from_slice(&chunk);
        }
    })
    .await;
    assert!(ended.is_ok(), "the event stream ends");
    assert!(
        !String::from_utf8_lossy(&received).contains("event: complete"),
        "{}",
        String::from_utf8_lossy(&received)
    );

    let exit = tokio::task::spawn_blocking(move || {
        let status = leaving.child.wait().unwrap();
        (leaving, status)
    });
    let (_leaving, status) = tokio::time::timeout(Duration::from_secs(20), exit)
        .await
        .expect("the stopped instance exits")
        .unwrap();
    assert!(status.success(), "{status}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let (succeeded, failed) = (
        succeeded.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
    );
    assert_eq!(
        failed,
        0,
        "{failed} of {} requests failed",
        succeeded + failed
    );
    assert!(
        succeeded > before + 50,
        "the load went on through the other instance: {before} then {succeeded}"
    );
    drop(staying);
}
