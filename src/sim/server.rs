//! Starting a simulator: an actix-web server on its own listener, with the admin routes.

use std::net::{SocketAddr, TcpListener};

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, Error, HttpResponse, HttpServer, web};

use super::SimError;
use super::knobs::KnobHandle;

/// A running simulator server.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes calls in progress (up to 5 s), and waits.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

/// Binds `bind` (port 0 for any free port) and serves the routes `configure` adds, plus
/// the admin routes, on the current tokio runtime.
pub(crate) fn spawn<F>(
    bind: SocketAddr,
    workers: usize,
    knobs: KnobHandle,
    configure: F,
) -> Result<RunningServer, SimError>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let listener =
        TcpListener::bind(bind).map_err(|source| SimError::Bind { addr: bind, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr: bind, source })?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(knobs.clone()))
            .wrap(from_fn(record_traceparent))
            .configure(admin_routes)
            .configure(configure.clone())
    })
    .workers(workers.max(1))
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)
    .map_err(|source| SimError::Bind { addr: bind, source })?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(RunningServer { addr, handle, task })
}

/// Keeps the W3C `traceparent` of each department request in the stats, so that a test
/// sees what a department that traces would have continued.
async fn record_traceparent(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if !request.path().starts_with("/__sim/")
        && let Some(value) = request
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
        && let Some(knobs) = request.app_data::<web::Data<KnobHandle>>()
    {
        knobs.saw_traceparent(value);
    }
    next.call(request).await
}

fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/__sim/knobs", web::get().to(get_knobs))
        .route("/__sim/knobs", web::put().to(put_knobs))
        .route("/__sim/stats", web::get().to(get_stats))
        .route("/__sim/stats", web::delete().to(reset_stats));
}

async fn get_knobs(knobs: web::Data<KnobHandle>) -> HttpResponse {
    HttpResponse::Ok().json(knobs.get())
}

async fn put_knobs(knobs: web::Data<KnobHandle>, body: web::Bytes) -> HttpResponse {
    let patch: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return HttpResponse::BadRequest().json(serde_json::json!({ "error": e.to_string() }));
        }
    };
    match knobs.patch(&patch) {
        Ok(current) => HttpResponse::Ok().json(current),
        Err(e) => HttpResponse::BadRequest().json(serde_json::json!({ "error": e.to_string() })),
    }
}

async fn get_stats(knobs: web::Data<KnobHandle>) -> HttpResponse {
    HttpResponse::Ok().json(knobs.stats())
}

async fn reset_stats(knobs: web::Data<KnobHandle>) -> HttpResponse {
    knobs.reset_stats();
    HttpResponse::NoContent().finish()
}
