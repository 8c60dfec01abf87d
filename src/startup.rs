//! Builds the application from settings; the same path serves production and tests
//! (which bind port 0). Start-up is explicit steps: [`prepare_database`], then
//! [`Application::build`] (or a sibling on a prepared database), then
//! [`Application::start_background_tasks`], then [`Application::run_until_stopped`].

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use sea_orm::DatabaseConnection;

use crate::{
    adapters::{BuildError, Departments},
    audit::{self, AuditLog, CheckpointKey, CheckpointKeyError, WriterDatabase},
    auth::{AuthError, JwtVerifier},
    config::Settings,
    coordination::{Coordination, CoordinationError},
    graphql::{Services, build_schema, parsed::ParsedDocuments},
    http::{self, AppState, HttpSettings, metrics::Metrics},
    policy::{Policy, PolicyError},
    screening,
    store::{
        self, MigrationReport, StoreError,
        coordination::{Leadership, SessionLock},
        id_vault::{IdVault, VaultError},
        local::{LocalReads, SqliteFile},
        thread_pools::ThreadPools,
    },
    telemetry,
    workflow::{self, Clock, Workflow},
};

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("token verification: {0}")]
    Auth(#[from] AuthError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("access policy: {0}")]
    Policy(#[from] PolicyError),
    #[error("departments: {0}")]
    Departments(#[from] BuildError),
    #[error(transparent)]
    Coordination(#[from] CoordinationError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    CheckpointKey(#[from] CheckpointKeyError),
    #[error("registered documents: {0}")]
    Documents(#[from] http::documents::ManifestError),
}

/// Brings the database to what this version of the hub needs: the schema migrations,
/// the division tree, the working-day calendar and the service catalogue. Every command
/// that opens the database runs it first; it is idempotent. Instances that start together
/// on one PostgreSQL database take turns (an advisory lock around the whole): the first
/// migrates and seeds, the others find it done.
pub async fn prepare_database(db: &DatabaseConnection) -> Result<MigrationReport, StoreError> {
    let lock = SessionLock::acquire(db, PREPARE_LOCK).await?;
    let prepared = prepare_under_lock(db).await;
    lock.release().await;
    prepared
}

/// The advisory lock the instance leading the scheduled jobs holds.
const LEADER_LOCK: &str = "cunhub.scheduled_jobs";

/// Parsed documents kept: more than the distinct documents the apps send.
const PARSED_DOCUMENTS: std::num::NonZeroUsize = std::num::NonZeroUsize::MIN.saturating_add(127);

/// How often an instance that does not lead tries for the lead, and the leader checks it
/// still holds it: the longest the scheduled jobs go without a leader after one dies.
const LEADER_CHECK: Duration = Duration::from_secs(2);

/// The advisory lock `prepare_database` holds.
const PREPARE_LOCK: &str = "cunhub.prepare_database";

async fn prepare_under_lock(db: &DatabaseConnection) -> Result<MigrationReport, StoreError> {
    let report = store::migrate(db).await?;
    workflow::calendar::seed(db)
        .await
        .map_err(|e| StoreError::Data(e.to_string()))?;
    workflow::catalogue::seed(db).await?;
    Ok(report)
}

/// A bound, not yet running, hub.
pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    /// The operators' `/metrics` listener, unless switched off.
    metrics: Option<(std::net::SocketAddr, Server)>,
    db: DatabaseConnection,
    checkpoint_key: Arc<CheckpointKey>,
    leadership: Leadership,
    drain: http::Drain,
    drain_delay: Duration,
    background: Option<BackgroundTasks>,
    statistics: crate::statistics::Published,
}

impl Application {
    /// Connects to and prepares the database, then binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = store::connect(&settings.database).await?;
        let report = prepare_database(&db).await?;
        if report.regions_added > 0 {
            tracing::info!(regions = report.regions_added, "division tree loaded");
        }
        Self::build_with_database(settings, db)
    }

    /// Binds the listener on an already prepared database.
    pub fn build_with_database(
        settings: Settings,
        db: DatabaseConnection,
    ) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, db, Clock::system())
    }

    /// As [`Self::build_with_database`], with deadlines counted on `clock` (which a test
    /// moves forward across holidays).
    pub fn build_with_clock(
        settings: Settings,
        db: DatabaseConnection,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        let mut db = db;
        // Each statement counts in the tally of the request it runs for (`db.calls`).
        db.set_metric_callback(|info| telemetry::db::record(info.elapsed));
        let vault = IdVault::from_settings(&settings.privacy)?;
        if vault.uses_development_keys() {
            tracing::warn!(
                "ID numbers are sealed with the built-in development keys; set privacy.lookup_key and privacy.encryption_keys"
            );
        }
        let checkpoint_key = Arc::new(CheckpointKey::from_settings(&settings.audit)?);
        if checkpoint_key.is_development() {
            tracing::warn!(
                "audit checkpoints are signed with the built-in development key; set audit.checkpoint_key"
            );
        }
        let policy = Arc::new(match &settings.access.policy_file {
            Some(path) => Policy::load(path)?,
            None => Policy::built_in()?,
        });
        policy.warn_defaults();
        let workflow = Workflow::new(
            db.clone(),
            policy.clone(),
            clock,
            settings.workflow.step_limits(),
        );
        // Changes committed through other instances reach this one's subscribers.
        tokio::spawn(workflow::relay::run(workflow.clone()));
        let coordination = Coordination::new(&settings.coordination)?;
        // On a SQLite file, the audit writer and the hot lookups skip the pool's threads.
        let sqlite_file = SqliteFile::of_url(&settings.database.url);
        let services = Services {
            audit: AuditLog::start(db.clone(), WriterDatabase::of(&db, sqlite_file.as_ref())),
            db: db.clone(),
            local_reads: Arc::new(LocalReads::new(sqlite_file).on_statement(telemetry::db::record)),
            thread_pools: Arc::new(ThreadPools::of(&db).on_statement(telemetry::db::record)),
            limits: Arc::new(settings.limits.clone()),
            vault: Arc::new(vault),
            departments: Arc::new(Departments::with_coordination(
                &settings.departments,
                &coordination,
            )?),
            policy,
            request_deadline: settings.server.request_deadline,
            elderly_age: settings.screening.elderly_age,
            workflow: workflow.clone(),
            statistics: crate::statistics::Published::default(),
        };
        let leadership = Leadership::new(LEADER_LOCK)?;
        let background = BackgroundTasks::new(
            &settings,
            &services,
            checkpoint_key.clone(),
            leadership.clone(),
        );
        let metrics = Metrics::new()?;
        leadership.register_metrics(metrics.registry())?;
        let drain = http::Drain::default();
        let scope_levels = services.policy.scope_levels().clone();
        services.departments.register_metrics(metrics.registry())?;
        coordination.register_metrics(metrics.registry())?;
        services.audit.register_metrics(metrics.registry())?;
        let state = web::Data::new(AppState {
            schema: build_schema(services.clone(), settings.server.suggestions),
            verifier: JwtVerifier::from_settings(&settings.auth)?.with_scope_levels(scope_levels),
            metrics,
            documents: http::documents::Documents::from_settings(&settings.documents)?,
            parsed: ParsedDocuments::new(PARSED_DOCUMENTS, services.limits.max_tokens),
            settings: HttpSettings {
                server: settings.server.clone(),
                limits: services.limits.clone(),
                valid: settings.validate().is_ok(),
            },
            services,
            drain: drain.clone(),
            quotas: Arc::new(http::quota::Quotas::new(
                settings.client_limits.clone(),
                coordination.clone(),
            )),
            coordination,
        });
        let bind_error = |source| StartupError::Bind {
            address: settings.server.bind.clone(),
            source,
        };
        let metrics = match settings.server.metrics_bind() {
            Some(bind) => Some(http::metrics::operator_server(state.clone(), bind).map_err(
                |source| StartupError::Bind {
                    address: format!("{bind} (server.metrics_bind)"),
                    source,
                },
            )?),
            None => None,
        };
        let listener = TcpListener::bind(&settings.server.bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let server_settings = settings.server.clone();
        let mut server = HttpServer::new(move || {
            // The last `wrap` is the outermost: every answer, a refused preflight too, is
            // observed; compression is marked off inside `Compress` and unmarked outside.
            App::new()
                .app_data(state.clone())
                .wrap(middleware::from_fn(http::hold_back_compression))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(http::release_compression))
                .wrap(http::cors(&server_settings))
                .wrap(middleware::from_fn(http::close_connections))
                .wrap(middleware::from_fn(http::observe))
                .configure(|cfg| http::routes(cfg, &server_settings))
                .default_service(web::to(http::not_found))
        })
        .shutdown_timeout(settings.server.shutdown_timeout.as_secs())
        // SIGTERM and SIGINT are the application's: it drains before the server stops.
        .disable_signals()
        .listen(listener)
        .map_err(bind_error)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        Ok(Self {
            address,
            server: server.run(),
            metrics,
            db,
            checkpoint_key,
            leadership,
            drain,
            drain_delay: settings.server.drain_delay,
            statistics: background.statistics.clone(),
            background: Some(background),
        })
    }

    /// The address the hub listens on (the real port when the settings said 0).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// The statistics snapshot this instance serves, for a caller that takes one out of
    /// turn (the demo, once its first synchronisation is done).
    pub fn statistics(&self) -> crate::statistics::Published {
        self.statistics.clone()
    }

    /// The operators' `/metrics` address, unless switched off.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(|(address, _)| *address)
    }

    /// Starts the hub's periodic work (see [`BackgroundTasks`]) on the current Tokio
    /// runtime; a second call starts nothing.
    pub fn start_background_tasks(&mut self) {
        if let Some(tasks) = self.background.take() {
            tasks.start();
        }
    }

    /// Serves until SIGTERM or SIGINT, then drains (`http::Drain`: not ready, connections
    /// closed after their answer, sockets closed with 1012) for `server.drain_delay`,
    /// closes the listener, lets in-flight requests finish, gives up the lead of the
    /// scheduled jobs and signs the final chain head.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(address, server)| {
            tracing::info!(%address, "metrics for operators");
            (server.handle(), tokio::spawn(server))
        });
        let handle = self.server.handle();
        let mut server = self.server;
        let result = tokio::select! {
            result = &mut server => result,
            () = stop_signal() => {
                tracing::info!(delay = ?self.drain_delay, "stopping: draining before the listener closes");
                self.drain.start();
                tokio::time::sleep(self.drain_delay).await;
                // The server carries the stop out only while it is polled.
                let ((), result) = tokio::join!(handle.stop(true), &mut server);
                result
            }
        };
        self.leadership.resign();
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        if let Err(err) = audit::sign_head(&self.db, &self.checkpoint_key).await {
            tracing::warn!(error = %err, "final audit checkpoint not signed");
        }
        result
    }
}

/// Completes on SIGTERM or SIGINT (never, where they cannot be watched).
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    () = interrupt => {}
                }
            }
            Err(_) => interrupt.await,
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

/// The hub's periodic work: signing the audit chain head, escalating overdue
/// service-request steps and, when `screening.interval` is set, the scheduled screening
/// runs. Built with the application, started only when asked, so that where they run is
/// a decision of the caller.
pub struct BackgroundTasks {
    db: DatabaseConnection,
    leadership: Leadership,
    checkpoint_key: Arc<CheckpointKey>,
    checkpoint_interval: Duration,
    workflow: Workflow,
    overdue_check_interval: Duration,
    screening: Option<screening::Background>,
    statistics: crate::statistics::Published,
    statistics_settings: crate::statistics::StatisticsSettings,
}

impl BackgroundTasks {
    fn new(
        settings: &Settings,
        services: &Services,
        checkpoint_key: Arc<CheckpointKey>,
        leadership: Leadership,
    ) -> Self {
        // Scheduled runs share the interactive requests' adapters: their share is taken
        // from the same pool of calls in flight.
        let screening = (!settings.screening.interval.is_zero()).then(|| screening::Background {
            db: services.db.clone(),
            vault: services.vault.clone(),
            departments: services.departments.clone(),
            department_settings: settings.departments.clone(),
            settings: settings.screening.clone(),
        });
        Self {
            db: services.db.clone(),
            leadership,
            checkpoint_key,
            checkpoint_interval: settings.audit.checkpoint_interval,
            workflow: services.workflow.clone(),
            overdue_check_interval: settings.workflow.overdue_check_interval,
            screening,
            statistics: services.statistics.clone(),
            statistics_settings: settings.statistics.clone(),
        }
    }

    /// Spawns every task on the current Tokio runtime; they run until the process ends.
    /// The scheduled jobs run on the instance that leads ([`Leadership`]); the statistics
    /// snapshot is each instance's own.
    pub fn start(self) {
        tokio::spawn(
            self.leadership
                .clone()
                .campaign(self.db.clone(), LEADER_CHECK),
        );
        audit::spawn_checkpoints(
            self.db.clone(),
            self.checkpoint_key,
            self.checkpoint_interval,
            self.leadership.clone(),
        );
        tokio::spawn(
            self.workflow
                .escalate_every(self.overdue_check_interval, self.leadership.clone()),
        );
        if let Some(screening) = self.screening {
            let leadership = self.leadership.clone();
            spawn_below_requests("cunhub-screening", move || {
                screening.every_interval(leadership)
            });
        }
        tokio::spawn(crate::statistics::snapshot_every(
            self.statistics,
            self.db,
            self.statistics_settings.threshold,
            self.statistics_settings.snapshot_interval,
        ));
    }
}

/// How much lower than the requests' threads background work runs (a nice value: at 10,
/// the scheduler gives it about a tenth of a contended core).
const BACKGROUND_NICENESS: i32 = 10;

/// Runs `task` on a runtime of its own whose threads the scheduler serves after the
/// requests' threads: a scheduled screening run then takes the time requests leave and
/// does not lengthen their latency. The task's department calls still go through the
/// same budgets, where requests also come first.
fn spawn_below_requests<F, T>(name: &'static str, task: F)
where
    F: FnOnce() -> T + Send + 'static,
    T: std::future::Future<Output = ()> + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name(name)
        .on_thread_start(lower_this_threads_priority)
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, task = name, "cannot start the runtime of a background task");
            return;
        }
    };
    let started = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            lower_this_threads_priority();
            runtime.block_on(task());
        });
    if let Err(error) = started {
        tracing::error!(%error, task = name, "cannot start the thread of a background task");
    }
}

/// On Linux the nice value is each thread's own: this lowers the calling thread's only.
fn lower_this_threads_priority() {
    let lowered = rustix::process::getpriority_process(None).and_then(|current| {
        rustix::process::setpriority_process(None, (current + BACKGROUND_NICENESS).min(19))
    });
    if let Err(error) = lowered {
        tracing::warn!(%error, "background work runs at the requests' priority");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn background_work_runs_below_the_callers_priority() {
        let caller = rustix::process::getpriority_process(None).unwrap();
        let (sender, received) = std::sync::mpsc::channel();
        spawn_below_requests("cunhub-test", move || async move {
            // Where the task runs and where it spawns, on the runtime's threads.
            let here = rustix::process::getpriority_process(None).unwrap();
            let spawned = tokio::spawn(async { rustix::process::getpriority_process(None) })
                .await
                .unwrap()
                .unwrap();
            sender.send((here, spawned)).unwrap();
        });
        let (here, spawned) = received.recv_timeout(Duration::from_secs(10)).unwrap();
        let expected = (caller + BACKGROUND_NICENESS).min(19);
        assert_eq!((here, spawned), (expected, expected));
        // The caller's own is unchanged.
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), caller);
    }
}
