//! What several hub instances share, through Redis: department budgets
//! (`adapters`) and client limits (`http`) run their atomic scripts through one
//! [`Coordination`]. When Redis does not answer, every caller is told to count alone
//! (each instance within its share) and Redis is asked again after
//! `coordination.retry_after`; the mode is in `/readyz` and the `coordination_alone`
//! metric. Names nothing of the hub.

mod settings;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::{
    FromRedisValue, Script, ToRedisArgs,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

pub use settings::CoordinationSettings;

/// How the instance counts what it shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// No Redis configured: one instance, its own budgets.
    Off,
    /// Through Redis, with the other instances.
    Shared,
    /// Redis configured but not answering: within this instance's share.
    Alone { reason: String },
}

impl Mode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Shared => "shared",
            Self::Alone { .. } => "alone",
        }
    }
}

/// The Redis could not be used as configured.
#[derive(Debug, thiserror::Error)]
#[error("coordination.url: {0}")]
pub struct CoordinationError(String);

/// A handle on the shared Redis; cheap to clone.
#[derive(Clone)]
pub struct Coordination(Arc<Inner>);

struct Inner {
    settings: CoordinationSettings,
    connection: Option<ConnectionManager>,
    /// This process's name among the holders of leases.
    instance: String,
    state: Mutex<State>,
    alone: prometheus::IntGauge,
    failures: prometheus::IntCounter,
}

struct State {
    mode: Mode,
    /// While alone, Redis is not asked before this instant.
    next_try: Option<Instant>,
}

impl std::fmt::Debug for Coordination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordination")
            .field("settings", &self.0.settings)
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

impl Coordination {
    /// Connects lazily: an instance starts (counting alone) while Redis is down.
    /// Call within the tokio runtime that will stay up while the hub serves.
    pub fn new(settings: &CoordinationSettings) -> Result<Self, CoordinationError> {
        let connection = if settings.enabled() {
            let client = redis::Client::open(settings.url.as_str())
                .map_err(|e| CoordinationError(e.to_string()))?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(settings.timeout))
                .set_response_timeout(Some(settings.timeout))
                .set_number_of_retries(1)
                .set_max_delay(settings.retry_after);
            Some(
                ConnectionManager::new_lazy_with_config(client, config)
                    .map_err(|e| CoordinationError(e.to_string()))?,
            )
        } else {
            None
        };
        let mode = if connection.is_some() {
            Mode::Shared
        } else {
            Mode::Off
        };
        let alone = prometheus::IntGauge::new(
            "coordination_alone",
            "1 while Redis is configured but unreachable and this instance keeps to its share",
        )
        .map_err(|e| CoordinationError(e.to_string()))?;
        let failures = prometheus::IntCounter::new(
            "coordination_failures_total",
            "Redis calls for shared budgets and limits that failed or timed out",
        )
        .map_err(|e| CoordinationError(e.to_string()))?;
        Ok(Self(Arc::new(Inner {
            settings: settings.clone(),
            connection,
            instance: format!(
                "{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ),
            state: Mutex::new(State {
                mode,
                next_try: None,
            }),
            alone,
            failures,
        })))
    }

    /// No Redis: a single instance.
    pub fn off() -> Self {
        // Building without a URL touches nothing that can fail but the metric names,
        // which are valid constants.
        #[allow(clippy::expect_used)]
        Self::new(&CoordinationSettings::default()).expect("coordination without Redis")
    }

    pub fn mode(&self) -> Mode {
        self.state().mode.clone()
    }

    /// How many instances share the budgets (the divisor of each one's share).
    pub fn instances(&self) -> u32 {
        self.0.settings.instances.max(1)
    }

    pub fn settings(&self) -> &CoordinationSettings {
        &self.0.settings
    }

    /// This instance's name as a holder of leases.
    pub fn instance(&self) -> &str {
        &self.0.instance
    }

    /// The key `part` under the configured prefix.
    pub fn key(&self, part: &str) -> String {
        format!("{}:{part}", self.0.settings.key_prefix)
    }

    /// Registers `coordination_alone` and `coordination_failures_total`.
    pub fn register_metrics(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.0.alone.clone()))?;
        registry.register(Box::new(self.0.failures.clone()))
    }

    /// Runs `script` on Redis: `None` when there is no Redis, when it failed now, or
    /// while the instance waits to ask it again; the caller then counts alone.
    pub async fn run<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[String],
        args: &[impl ToRedisArgs],
    ) -> Option<T> {
        let mut connection = self.0.connection.clone()?;
        if self
            .state()
            .next_try
            .is_some_and(|next| Instant::now() < next)
        {
            return None;
        }
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        for arg in args {
            invocation.arg(arg);
        }
        let answer = tokio::time::timeout(
            self.0.settings.timeout,
            invocation.invoke_async::<T>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok(value)) => {
                self.recovered();
                Some(value)
            }
            Ok(Err(e)) => {
                self.failed(e.to_string());
                None
            }
            Err(_) => {
                self.failed("no answer within coordination.timeout".into());
                None
            }
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failed(&self, reason: String) {
        self.0.failures.inc();
        let mut state = self.state();
        if state.mode == Mode::Shared {
            tracing::warn!(%reason, "Redis unreachable: each department budget falls back to this instance's share");
        }
        state.next_try = Some(Instant::now() + self.0.settings.retry_after);
        state.mode = Mode::Alone { reason };
        self.0.alone.set(1);
    }

    fn recovered(&self) {
        let mut state = self.state();
        if state.mode != Mode::Shared {
            tracing::info!("Redis answers again: budgets are shared");
            state.mode = Mode::Shared;
            state.next_try = None;
            self.0.alone.set(0);
        }
    }

    /// How long an instance that lost Redis waits before it asks again.
    pub fn retry_after(&self) -> Duration {
        self.0.settings.retry_after
    }
}
