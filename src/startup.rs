//! Builds the application from settings; the same path serves production and tests
//! (which bind port 0).

use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use sea_orm::DatabaseConnection;

use crate::{
    adapters::{BuildError, Departments},
    audit::{self, AuditLog, CheckpointKey, CheckpointKeyError},
    auth::{AuthError, JwtVerifier},
    config::Settings,
    graphql::{CunhubSchema, Services, build_schema},
    http::{self, metrics::Metrics},
    policy::{Policy, PolicyError},
    store::{
        self, StoreError,
        id_vault::{IdVault, VaultError},
    },
    workflow::{Clock, Workflow},
};

/// What every handler shares.
pub struct AppState {
    pub schema: CunhubSchema,
    pub services: Services,
    pub verifier: JwtVerifier,
    pub metrics: Metrics,
    pub settings: Arc<Settings>,
}

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
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    CheckpointKey(#[from] CheckpointKeyError),
}

/// A bound, not yet running, hub.
pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    db: DatabaseConnection,
    checkpoint_key: Arc<CheckpointKey>,
}

impl Application {
    /// Connects to and migrates the database, then binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = store::connect(&settings.database).await?;
        let report = store::migrate(&db).await?;
        if report.regions_added > 0 {
            tracing::info!(regions = report.regions_added, "division tree loaded");
        }
        Self::build_with_database(settings, db)
    }

    /// Binds the listener on an already migrated database.
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
        let settings = Arc::new(settings);
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
        audit::spawn_checkpoints(
            db.clone(),
            checkpoint_key.clone(),
            settings.audit.checkpoint_interval,
        );
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
        let services = Services {
            audit: AuditLog::spawn(db.clone()),
            db: db.clone(),
            limits: Arc::new(settings.limits.clone()),
            vault: Arc::new(vault),
            departments: Arc::new(Departments::new(&settings.departments)?),
            policy,
            request_deadline: settings.server.request_deadline,
            elderly_age: settings.screening.elderly_age,
            workflow: workflow.clone(),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(workflow.escalate_every(settings.workflow.overdue_check_interval));
        }
        if !settings.screening.interval.is_zero()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // Scheduled runs share the interactive requests' adapters: their share is
            // taken from the same pool of calls in flight.
            let background = crate::screening::Background {
                db: services.db.clone(),
                vault: services.vault.clone(),
                departments: services.departments.clone(),
                department_settings: settings.departments.clone(),
                settings: settings.screening.clone(),
            };
            runtime.spawn(background.every_interval());
        }
        let metrics = Metrics::new()?;
        let scope_levels = services.policy.scope_levels().clone();
        services.departments.register_metrics(metrics.registry())?;
        let state = web::Data::new(AppState {
            schema: build_schema(services.clone(), settings.server.suggestions),
            services,
            verifier: JwtVerifier::from_settings(&settings.auth)?.with_scope_levels(scope_levels),
            metrics,
            settings: settings.clone(),
        });
        let bind_error = |source| StartupError::Bind {
            address: settings.server.bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&settings.server.bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let graphiql = settings.server.graphiql;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(middleware::from_fn(http::observe))
                .configure(|cfg| http::routes(cfg, graphiql))
                .default_service(web::to(http::not_found))
        })
        .shutdown_timeout(settings.server.shutdown_timeout.as_secs())
        .listen(listener)
        .map_err(bind_error)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        Ok(Self {
            address,
            server: server.run(),
            db,
            checkpoint_key,
        })
    }

    /// The address the hub listens on (the real port when the settings said 0).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish and signs
    /// the final chain head.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Err(err) = audit::sign_head(&self.db, &self.checkpoint_key).await {
            tracing::warn!(error = %err, "final audit checkpoint not signed");
        }
        result
    }
}
