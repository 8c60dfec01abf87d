//! Prometheus metrics of the hub, in a registry of its own (one per application, so that
//! several hubs in one process, as in the tests, do not collide), served on a listener of
//! their own for operators: they show every department's health, which the public
//! listener must not.

use std::net::{SocketAddr, TcpListener};

use actix_web::{App, HttpResponse, HttpServer, dev::Server, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use super::AppState;

/// The hub's own metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    graphql_errors: IntCounterVec,
    in_flight: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("cunhub".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        )?;
        let graphql_errors = IntCounterVec::new(
            Opts::new(
                "graphql_errors_total",
                "GraphQL errors returned, by extensions.code",
            ),
            &["code"],
        )?;
        let in_flight = IntGauge::new("http_requests_in_flight", "HTTP requests being answered")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(graphql_errors.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            graphql_errors,
            in_flight,
        })
    }

    /// The registry, for other parts (the departments) to add their collectors to.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn request_started(&self) {
        self.in_flight.inc();
    }

    pub fn request_finished(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.in_flight.dec();
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    pub fn graphql_error(&self, code: &str) {
        self.graphql_errors.with_label_values(&[code]).inc();
    }

    /// The metrics in Prometheus text format.
    pub fn encode(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    match state.metrics.encode() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(err) => {
            tracing::error!(error = %err, "metrics could not be encoded");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The operators' listener on `bind`: `/metrics` and nothing else. It ignores signals:
/// the application stops it once the public listener has drained, so the last scrapes
/// still see the shutdown.
pub fn operator_server(
    state: web::Data<AppState>,
    bind: &str,
) -> std::io::Result<(SocketAddr, Server)> {
    let listener = TcpListener::bind(bind)?;
    let address = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(render))
            .default_service(web::to(super::not_found))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((address, server))
}
