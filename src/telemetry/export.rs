//! The OTLP span exporter behind the batch processor. The processor runs on a thread of
//! its own with a blocking HTTP client, so the export needs no Tokio runtime (several run
//! in one process: one per actix worker, one per test) and a request never waits for it:
//! a finished span goes into a bounded queue, and a full queue drops it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    trace::{
        BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
    },
};

use super::settings::TracingSettings;

/// Why tracing could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("tracing.endpoint is not an http(s) URL")]
    Endpoint,
    #[error("tracing.headers are not `name=value` pairs")]
    Headers,
    #[error("the OTLP exporter could not be built: {0}")]
    Build(String),
}

/// The tracer provider for `settings`, exporting in batches from a thread of its own.
pub fn provider(settings: &TracingSettings) -> Result<SdkTracerProvider, ExportError> {
    let url = settings.traces_url().ok_or(ExportError::Endpoint)?;
    let headers: HashMap<String, String> = settings
        .header_pairs()
        .ok_or(ExportError::Headers)?
        .into_iter()
        .collect();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.as_str())
        .with_headers(headers)
        .with_timeout(settings.export_timeout)
        .build()
        .map_err(|e| ExportError::Build(e.to_string()))?;
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(settings.queue_size)
        .with_max_export_batch_size(settings.queue_size.min(512))
        .with_scheduled_delay(Duration::from_secs(1))
        .build();
    let processor = BatchSpanProcessor::builder(Reporting::new(exporter, url.to_string()))
        .with_batch_config(batch)
        .build();
    let instance = if settings.instance_id.trim().is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        settings.instance_id.clone()
    };
    let resource = Resource::builder_empty()
        .with_service_name(settings.service_name.clone())
        .with_attributes([
            KeyValue::new("service.instance.id", instance),
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
        ])
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            settings.sample_ratio,
        ))))
        .with_resource(resource)
        .build())
}

/// The exporter, saying once when the collector stops answering and once when it is
/// back, instead of a line per lost batch.
#[derive(Debug)]
struct Reporting<E> {
    inner: E,
    url: String,
    failing: AtomicBool,
}

impl<E> Reporting<E> {
    fn new(inner: E, url: String) -> Self {
        Self {
            inner,
            url,
            failing: AtomicBool::new(false),
        }
    }
}

impl<E: SpanExporter> SpanExporter for Reporting<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.inner.export(batch).await;
        match &result {
            Err(err) if !self.failing.swap(true, Ordering::Relaxed) => tracing::warn!(
                collector = %self.url,
                error = %err,
                spans,
                "the trace collector does not answer: spans are dropped until it does"
            ),
            Ok(()) if self.failing.swap(false, Ordering::Relaxed) => {
                tracing::info!(collector = %self.url, "the trace collector answers again")
            }
            _ => {}
        }
        result
    }

    fn shutdown_with_timeout(&mut self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&mut self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
