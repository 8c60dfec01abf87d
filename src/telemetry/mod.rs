//! Logs and traces through `tracing`, configured from the `[log]` and `[tracing]`
//! settings alone: log lines to stderr, and, when `tracing.endpoint` is set, the hub's
//! spans to an OpenTelemetry collector. This module names nothing else of the hub.

pub mod context;
pub mod db;
mod export;
mod settings;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Level, Metadata};
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{Targets, filter_fn},
    fmt,
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

pub use db::spawn;
pub use export::ExportError;
pub use settings::{LogFormat, LogSettings, TracingSettings};

/// What [`init`] set up; [`Telemetry::shutdown`] sends the spans still queued.
#[derive(Debug, Default)]
#[must_use = "dropping it does not send the spans still queued: call shutdown"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn is_tracing(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports what is queued now, waiting for it (within `tracing.export_timeout`);
    /// false when the collector did not take it. It blocks.
    pub fn flush(&self) -> bool {
        self.provider
            .as_ref()
            .is_none_or(|provider| provider.force_flush().is_ok())
    }

    /// Exports what is queued (within `tracing.export_timeout`) and stops the exporter.
    /// It blocks: call it on the way out, off the async workers.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "the last spans could not be exported");
        }
    }

    /// [`shutdown`](Self::shutdown) from async code, on a blocking thread.
    pub async fn close(self) {
        if self.provider.is_some() {
            let _ = tokio::task::spawn_blocking(move || self.shutdown()).await;
        }
    }
}

/// Installs the global subscriber; a second call (as in tests) is a no-op. A tracing
/// setup that cannot be built is logged and the hub runs without it (the settings'
/// validation has already named any bad value).
pub fn init(log: &LogSettings, traces: &TracingSettings) -> Telemetry {
    // Levels by target (`info`, `cunhub=debug,sqlx=warn`) are decided once per call site;
    // `EnvFilter`, needed only for span and field matchers, also takes a lock each time a
    // span is entered or left, which is many times a request.
    let lines = match log.level.parse::<Targets>() {
        Ok(targets) => log_lines(log.format, targets),
        Err(_) => log_lines(
            log.format,
            EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info")),
        ),
    };
    let mut failure = None;
    let provider = if traces.is_enabled() {
        export::provider(traces).map_err(|e| failure = Some(e)).ok()
    } else {
        None
    };
    let spans = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("cunhub"))
            .with_threads(false)
            .with_target(false)
            .with_location(false)
            .with_tracked_inactivity(false)
            // Not made OpenTelemetry's current context at every entry into a span (every
            // poll of an instrumented future): that starts the span there, sampled or
            // not. The context a department call passes on is read off the tracing span.
            .with_context_activation(false)
            .with_filter(filter_fn(exported))
    });
    let installed = tracing_subscriber::registry()
        .with(lines)
        .with(spans)
        .try_init()
        .is_ok();
    if let Some(err) = failure {
        tracing::error!(error = %err, "tracing is off");
    }
    match provider {
        Some(provider) if installed => {
            tracing::info!(
                collector = %traces.endpoint,
                sample_ratio = traces.sample_ratio,
                "spans are exported"
            );
            Telemetry {
                provider: Some(provider),
            }
        }
        Some(provider) => {
            let _ = provider.shutdown();
            Telemetry::default()
        }
        None => Telemetry::default(),
    }
}

/// Log lines to stderr in `format`, as `filter` lets them through.
fn log_lines<S, F>(format: LogFormat, filter: F) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    F: tracing_subscriber::layer::Filter<S> + Send + Sync + 'static,
{
    match format {
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        // Colours only for a person at a terminal, not into a file or a journal.
        LogFormat::Text => fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    }
}

/// The hub's own spans and its warnings (as span events); nothing of the libraries, and
/// no per-event detail that the span's attributes already carry.
///
/// The steps inside a request (the GraphQL operation, the department call and each of its
/// attempts, the audit write) are DEBUG spans: exported, but outside the log lines at the
/// usual `info`, where the request's span already gives an event its context. A span the
/// log layer takes is formatted when it opens, whether or not a line is ever written in
/// it.
fn exported(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("cunhub")
        && if metadata.is_span() {
            *metadata.level() <= Level::DEBUG
        } else {
            *metadata.level() <= Level::WARN
        }
}
