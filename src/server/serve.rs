//! The server's life: take calls on a bound listener at once (health answers NOT_SERVING while
//! the gazetteers load), become ready when they are loaded, and on the shutdown signal report
//! NOT_SERVING, wait the drain delay, then stop taking calls and let the ones in flight finish,
//! under a deadline. Alongside, as [`Ops`] asks: the metrics endpoint, hot reload (SIGHUP, a
//! watched directory) and TLS.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tonic::codec::CompressionEncoding;
use tonic_web::GrpcWebLayer;
use tower::util::option_layer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_layer::Layer;

use super::call::CallLayer;
use super::extraction::{Limits, TextBudget};
use super::gateway::{GatewayLayer, Routes};
use super::health;
use super::incoming::{Incoming, Timeouts};
use super::metrics::{self, Metrics};
use super::reload::{self, ReloadConfig, Reloader};
use super::service::Handlers;
use super::slot::{ExtractorSlot, LoadedExtractor};
use super::tls::TlsConfig;
use crate::proto::entity_extractor_service_server::EntityExtractorServiceServer;
use alam_engine::Extractor;

/// How often freed heap memory is given back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MEMORY_TRIM_PERIOD: Duration = Duration::from_secs(10);

/// How long a keepalive ping may go unanswered before the connection is closed.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// How much longer than `idle_timeout` an idle connection is kept.
const IDLE_CONNECTION_GRACE: Duration = Duration::from_secs(5);

/// What the server needs besides its listener and its gazetteers.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The longest text a request may carry, in UTF-8 bytes.
    pub max_text_bytes: usize,
    /// The most requests in one `ExtractBatch`.
    pub max_batch: usize,
    /// The most bytes of text extracted at once, server-wide; a call that would go over is
    /// refused at once with RESOURCE_EXHAUSTED. At least `max_text_bytes`.
    pub max_inflight_text_bytes: usize,
    /// The largest message received, in bytes. Answers are sent whole, whatever their size: an
    /// answer's size follows from its text's, which `max_text_bytes` bounds, and an answer
    /// computed and then refused would be work lost.
    pub max_message_bytes: usize,
    /// The most streams (`ExtractStream` calls) open at once, server-wide; more are refused at
    /// once with RESOURCE_EXHAUSTED.
    pub max_streams: usize,
    /// How long one call (one request of a stream) may take; `None` for no limit.
    pub request_timeout: Option<Duration>,
    /// The most calls in flight on one connection; more fail at once with RESOURCE_EXHAUSTED.
    /// `None` for no limit.
    pub concurrency_limit: Option<usize>,
    /// How long health reports NOT_SERVING while calls are still taken, before shutdown.
    pub drain_delay: Duration,
    /// How long calls in flight may take to finish once shutdown begins.
    pub shutdown_timeout: Duration,
    /// How long a new connection may take to send its first bytes, and an HTTP/2 header block
    /// to be whole.
    pub first_bytes_timeout: Duration,
    /// How long a connection may stay idle (no byte either way) once it has spoken; `None` for
    /// no limit. Above the request timeout, so that no call is cut while it computes.
    pub idle_timeout: Option<Duration>,
    /// How often to ping an HTTP/2 connection that carries nothing, to find dead peers; `None`
    /// for never.
    pub keepalive_interval: Option<Duration>,
    /// How long a connection may live before the server asks its client to reconnect (HTTP/2
    /// GOAWAY; the calls in flight finish first), so that clients spread over replicas added
    /// since they connected; `None` for no limit.
    pub max_connection_age: Option<Duration>,
    /// The web origins (`https://app.example`, or `*` for any) whose pages may call the service
    /// from a browser, over gRPC-Web or HTTP/JSON (CORS); none by default.
    pub cors_allowed_origins: Vec<String>,
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        let max_text_bytes = 1024 * 1024;
        ServeConfig {
            max_text_bytes,
            max_batch: 1000,
            max_inflight_text_bytes: default_max_inflight_text_bytes(max_text_bytes),
            max_message_bytes: default_max_message_bytes(max_text_bytes),
            max_streams: 1024,
            request_timeout: Some(Duration::from_secs(30)),
            concurrency_limit: Some(256),
            drain_delay: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(30),
            first_bytes_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(300)),
            keepalive_interval: Some(Duration::from_secs(60)),
            max_connection_age: None,
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// Room for 16 calls at the largest text: memory peaks at a small multiple of the text in
/// flight, and 16 MiB of it stays well inside the shipped Deployment's 512 MiB.
pub fn default_max_inflight_text_bytes(max_text_bytes: usize) -> usize {
    max_text_bytes.saturating_mul(16)
}

/// Room for one text of the largest size and the rest of its request.
pub fn default_max_message_bytes(max_text_bytes: usize) -> usize {
    max_text_bytes.saturating_add(64 * 1024)
}

/// The production extras of a server; the default has none of them.
#[derive(Debug, Default)]
pub struct Ops {
    /// Serve Prometheus metrics at `/metrics` on this listener.
    pub metrics_listener: Option<TcpListener>,
    /// Reload the gazetteers from this directory (on SIGHUP, and on change when watched).
    pub reload: Option<ReloadConfig>,
    /// Reload on SIGHUP (the process's choice, not a library's: off by default).
    pub reload_on_sighup: bool,
    /// Serve TLS (and require client certificates, if it says so).
    pub tls: Option<TlsConfig>,
}

/// Aborts the server's side tasks (metrics, watcher, SIGHUP) however the server ends.
struct SideTasks(Vec<JoinHandle<()>>);

impl SideTasks {
    /// Stops the side tasks and waits until they are gone (their listeners closed).
    async fn stop(mut self) {
        for task in self.0.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for SideTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Why the gazetteers did not load.
pub type LoadError = Box<dyn std::error::Error + Send + Sync>;

/// Why the server stopped other than by a clean shutdown.
#[derive(Debug)]
pub enum ServeError {
    /// The gazetteers did not load.
    Load(LoadError),
    /// The reflection service could not read the descriptors (a build problem).
    Reflection(tonic_reflection::server::Error),
    /// The HTTP routes could not be read from the contract (a build problem).
    Routes(String),
    /// An allowed CORS origin that is not one.
    Cors(String),
    /// The transport failed.
    Transport(tonic::transport::Error),
    /// The server task ended abnormally.
    Task(tokio::task::JoinError),
    /// Calls in flight did not finish within the shutdown deadline; they were dropped.
    ShutdownTimeout(Duration),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Load(e) => write!(f, "cannot load the gazetteers: {e}"),
            ServeError::Reflection(e) => write!(f, "cannot build the reflection service: {e}"),
            ServeError::Routes(e) => write!(f, "cannot read the HTTP routes: {e}"),
            ServeError::Cors(e) => write!(f, "CORS: {e}"),
            ServeError::Transport(e) => write!(f, "transport: {e}"),
            ServeError::Task(e) => write!(f, "server task: {e}"),
            ServeError::ShutdownTimeout(limit) => write!(
                f,
                "calls still in flight after the shutdown deadline of {:.1} s \
                 (--shutdown-timeout); dropped",
                limit.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for ServeError {}

/// Serves on `listener` until `shutdown` completes, then drains and stops.
///
/// The server answers health checks (NOT_SERVING) and reflection while `load` builds the
/// extractor (EntityExtractorService calls answer UNAVAILABLE meanwhile); it becomes SERVING when `load`
/// completes. If `load` fails, the server stops and returns [`ServeError::Load`].
pub async fn serve_with_listener<L, S>(
    listener: TcpListener,
    config: ServeConfig,
    load: L,
    shutdown: S,
) -> Result<(), ServeError>
where
    L: Future<Output = Result<Extractor, LoadError>>,
    S: Future<Output = ()>,
{
    serve_with_ops(listener, config, Ops::default(), load, shutdown).await
}

/// [`serve_with_listener`] with the production extras of `ops`: metrics, hot reload, TLS.
pub async fn serve_with_ops<L, S>(
    listener: TcpListener,
    config: ServeConfig,
    ops: Ops,
    load: L,
    shutdown: S,
) -> Result<(), ServeError>
where
    L: Future<Output = Result<Extractor, LoadError>>,
    S: Future<Output = ()>,
{
    let (reporter, health_service) = tonic_health::server::health_reporter();
    health::loading(&reporter).await;

    let slot: Arc<ExtractorSlot> = Arc::new(ExtractorSlot::new());
    let metrics = Arc::new(Metrics::new());
    let mut side_tasks = SideTasks(Vec::new());
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    side_tasks
        .0
        .push(tokio::spawn(super::process::trim_memory_every(
            MEMORY_TRIM_PERIOD,
        )));
    if let Some(listener) = ops.metrics_listener {
        let serving = metrics::serve(listener, metrics.clone(), slot.clone());
        side_tasks.0.push(tokio::spawn(serving));
    }
    let reloader = ops.reload.as_ref().map(|reload| {
        Arc::new(Reloader::new(
            reload.dir.clone(),
            slot.clone(),
            metrics.clone(),
        ))
    });
    // Taken before the first load, so that a change during it is reloaded once it is done.
    let watch_baseline = match &ops.reload {
        Some(ReloadConfig {
            dir,
            watch_interval: Some(_),
        }) => Some(reload::fingerprint_off_thread(dir.clone()).await),
        _ => None,
    };
    #[cfg(unix)]
    if ops.reload_on_sighup {
        let hangups = reload::on_sighup(reloader.clone(), slot.clone());
        side_tasks.0.push(tokio::spawn(hangups));
    }

    let limits = Limits {
        max_text_bytes: config.max_text_bytes,
        max_batch: config.max_batch,
        inflight: TextBudget::new(config.max_inflight_text_bytes),
    };
    let service = Handlers::new(
        slot.clone(),
        limits,
        config.request_timeout,
        config.idle_timeout,
    );
    let extractor_service =
        CallLayer::new(metrics.clone(), config.request_timeout, config.max_streams).layer(
            EntityExtractorServiceServer::new(service)
                .max_decoding_message_size(config.max_message_bytes)
                .max_encoding_message_size(usize::MAX)
                // A gzip message is bounded once decompressed too (RESOURCE_EXHAUSTED past
                // max_message_bytes); answers are gzip only for callers that accept it.
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        );

    // grpcurl 1.8 speaks only v1alpha; newer clients prefer v1: serve both. Each builder adds
    // its own descriptor; the other one's is added so that both list every service.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // The google.rpc details of errors, so that grpcurl prints them decoded.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(ServeError::Reflection)?;
    let reflection_v1alpha = reflection()
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(ServeError::Reflection)?;

    let routes = Arc::new(Routes::from_contract().map_err(ServeError::Routes)?);
    let mut builder = tonic::transport::Server::builder()
        .http2_keepalive_interval(config.keepalive_interval)
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        // HTTP/1.1 for gRPC-Web and HTTP/JSON callers; gRPC itself stays HTTP/2.
        .accept_http1(true);
    if let Some(age) = config.max_connection_age {
        // No `max_connection_age_grace`: tonic (0.14.9) then skips the graceful GOAWAY and
        // closes the connection at age + grace, calls in flight and all. Without it, the calls
        // in flight finish (each within its own timeout) before the connection closes.
        builder = builder.max_connection_age(age);
    }
    if let Some(limit) = config.concurrency_limit {
        // Shed rather than queue: a caller over the limit learns it at once and can back off.
        builder = builder
            .concurrency_limit_per_connection(limit)
            .load_shed(true);
    }
    let router = builder
        // Outermost, so that a browser's preflight is answered before any route sees it; absent
        // when no origin is allowed, so that other calls do not pay for it (its `vary` headers).
        .layer(option_layer(
            cors(&config.cors_allowed_origins).map_err(ServeError::Cors)?,
        ))
        .layer(GatewayLayer::new(
            routes,
            config.max_message_bytes,
            config.request_timeout,
        ))
        .layer(GrpcWebLayer::new())
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(extractor_service);
    let (stop, stopped) = oneshot::channel::<()>();
    let (stopping, stopping_seen) = watch::channel(false);
    let timeouts = Timeouts {
        first_bytes: config.first_bytes_timeout,
        // A little longer than a stream's own idle limit, which starts after the connection's
        // last bytes: an idle stream ends with its status before its connection is closed.
        idle: config.idle_timeout.map(|idle| idle + IDLE_CONNECTION_GRACE),
        header_block: config.first_bytes_timeout,
    };
    let mut server = tokio::spawn(router.serve_with_incoming_shutdown(
        Incoming::new(listener, metrics.clone(), timeouts, stopping_seen, ops.tls),
        async {
            let _ = stopped.await;
        },
    ));

    tokio::pin!(shutdown);
    let signalled = tokio::select! {
        loaded = load => match loaded {
            Ok(extractor) => {
                let stats = extractor.stats();
                tracing::info!(
                    gazetteer_version = extractor.gazetteer().version(),
                    entities = extractor.gazetteer().entities().len(),
                    patterns = stats.patterns,
                    "gazetteers loaded; serving"
                );
                slot.install(LoadedExtractor { extractor, loaded_at: SystemTime::now() });
                health::ready(&reporter).await;
                if let (
                    Some(reloader),
                    Some(ReloadConfig { dir, watch_interval: Some(interval) }),
                    Some(baseline),
                ) = (&reloader, &ops.reload, watch_baseline)
                {
                    tracing::info!(
                        dir = %dir.display(),
                        interval_s = interval.as_secs_f64(),
                        "watching the gazetteer directory"
                    );
                    let watching = reload::watch(reloader.clone(), *interval, baseline);
                    side_tasks.0.push(tokio::spawn(watching));
                }
                false
            }
            Err(e) => {
                let _ = stop.send(());
                let _ = stopping.send(true);
                let _ = server.await;
                return Err(ServeError::Load(e));
            }
        },
        () = &mut shutdown => true,
        ended = &mut server => return ended_early(ended),
    };
    if !signalled {
        tokio::select! {
            () = &mut shutdown => {}
            ended = &mut server => return ended_early(ended),
        }
    }

    health::draining(&reporter).await;
    tracing::info!(
        drain_delay_s = config.drain_delay.as_secs_f64(),
        "shutting down: NOT_SERVING, still answering for the drain delay"
    );
    tokio::time::sleep(config.drain_delay).await;
    tracing::info!("no new calls; waiting for the calls in flight");
    let _ = stop.send(());
    let _ = stopping.send(true);
    match tokio::time::timeout(config.shutdown_timeout, &mut server).await {
        Ok(ended) => {
            ended_early(ended)?;
            side_tasks.stop().await;
            tracing::info!("stopped");
            Ok(())
        }
        Err(_) => {
            server.abort();
            Err(ServeError::ShutdownTimeout(config.shutdown_timeout))
        }
    }
}

/// What browsers' pages from `origins` may do: call with gRPC-Web's and JSON's headers and the
/// trace context, and read the gRPC status, its details and the request id. `None` without
/// origins.
fn cors(origins: &[String]) -> Result<Option<CorsLayer>, String> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allowed = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|origin| {
                http::HeaderValue::from_str(origin).map_err(|_| {
                    format!("{origin:?} is not an origin (such as https://app.example)")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    let header = http::HeaderName::from_static;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allowed)
            .allow_methods([http::Method::GET, http::Method::POST])
            .allow_headers([
                http::header::CONTENT_TYPE,
                header("x-grpc-web"),
                header("x-user-agent"),
                header("grpc-timeout"),
                header("x-request-id"),
                header("traceparent"),
                header("tracestate"),
            ])
            .expose_headers([
                header("grpc-status"),
                header("grpc-message"),
                header("grpc-status-details-bin"),
                header("x-request-id"),
            ])
            .max_age(Duration::from_secs(3600)),
    ))
}

fn ended_early(
    ended: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
) -> Result<(), ServeError> {
    match ended {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ServeError::Transport(e)),
        Err(e) => Err(ServeError::Task(e)),
    }
}
