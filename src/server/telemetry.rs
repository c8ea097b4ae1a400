//! Distributed tracing with OpenTelemetry: every call is a server span named as the RPC
//! semantic conventions say (`alam.v1.EntityExtractorService/Extract`, `rpc.system=grpc`,
//! `rpc.service`, `rpc.method`, `rpc.grpc.status_code`), a child of the caller's span when the
//! call carries a W3C `traceparent`. Spans are exported over OTLP/gRPC only when an endpoint is
//! configured (`--otlp-endpoint`, or the standard `OTEL_EXPORTER_OTLP_ENDPOINT` /
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; the service name from `OTEL_SERVICE_NAME`, `alam` by
//! default). Without one, spans still get their ids, so that a call's log line carries the
//! trace id its caller sent: logs and traces meet on it.

use http::HeaderMap;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::logging::LogFormat;

/// The environment variables by which OpenTelemetry's SDKs are told where to export traces.
const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// The tracer provider of the process; [`Telemetry::shutdown`] exports what is left.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
    exporting_to: Option<String>,
}

impl Telemetry {
    /// Where spans are exported, if anywhere.
    pub fn exporting_to(&self) -> Option<&str> {
        self.exporting_to.as_deref()
    }

    /// Exports the spans still buffered and stops the exporter.
    pub fn shutdown(self) {
        let _ = self.provider.shutdown();
    }
}

/// Installs the global subscriber (logs as [`LogFormat`] says, with OpenTelemetry spans) and
/// the W3C trace-context propagator. Exports over OTLP to `endpoint`, else to the endpoint of
/// the standard environment variables, else nowhere. Must run inside the tokio runtime (the
/// exporter's gRPC channel lives there).
pub fn init(format: LogFormat, endpoint: Option<String>) -> Result<Telemetry, String> {
    let endpoint = endpoint.or_else(|| {
        ENDPOINT_VARIABLES
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    });
    let resource = Resource::builder()
        .with_service_name(std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "alam".into()))
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let mut provider = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|e| format!("OTLP exporter for {endpoint}: {e}"))?;
        provider = provider.with_batch_exporter(exporter);
    }
    let provider = provider.build();
    let tracer = provider.tracer("alam");
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let spans = tracing_opentelemetry::layer().with_tracer(tracer);
    let logs = super::logging::fmt_layer(format);
    // A second subscriber (tests start several servers in one process) leaves the first.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(spans)
        .try_init();
    Ok(Telemetry {
        provider,
        exporting_to: endpoint,
    })
}

/// The caller's trace context, from the `traceparent` and `tracestate` headers.
pub(crate) fn callers_context(headers: &HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    })
}

/// The trace and span ids of `span`, in hex, when it is traced.
pub(crate) fn ids(span: &tracing::Span) -> Option<(String, String)> {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| {
        (
            span_context.trace_id().to_string(),
            span_context.span_id().to_string(),
        )
    })
}

/// Headers as OpenTelemetry's propagators read them.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_is_read_as_the_callers_context() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                .parse()
                .unwrap(),
        );
        let context = callers_context(&headers);
        let span = context.span();
        let parent = span.span_context();
        assert_eq!(
            parent.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(parent.span_id().to_string(), "b7ad6b7169203331");
        assert!(parent.is_remote() && parent.is_sampled());
        let none = callers_context(&HeaderMap::new());
        assert!(!none.span().span_context().is_valid());
    }
}
