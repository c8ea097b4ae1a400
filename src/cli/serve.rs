//! `alam serve`: its flags (each also an `ALAM_…` environment variable, its default taken from
//! [`ServeConfig::default`] so that there is one source of truth), and the process around the
//! server: the runtime, the listeners, the signals, the exit code.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::TypedValueParser as _;

use alam::server::{
    LoadError, LogFormat, Ops, ReloadConfig, ServeConfig, TlsFiles,
    default_max_inflight_text_bytes, default_max_message_bytes, init_telemetry, serve_with_ops,
    shutdown_signal,
};
use alam_engine::{Extractor, GazetteerSource};

use super::values::{Bytes, Span, parse_duration};

/// The server's defaults: the one source of the flags' defaults.
fn defaults() -> ServeConfig {
    ServeConfig::default()
}

/// The flags of `alam serve`; each one can also be set by its `ALAM_…` environment variable.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free port (printed on start).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "ALAM_ADDR",
        default_value = "0.0.0.0:50051"
    )]
    addr: SocketAddr,
    /// Load the gazetteers from this directory (*.toml, *.jsonl) instead of the embedded ones.
    #[arg(long, value_name = "DIR", env = "ALAM_GAZETTEERS")]
    gazetteers: Option<PathBuf>,
    /// The longest text of a request, in bytes (suffixes KiB, MiB accepted).
    #[arg(long, value_name = "BYTES", env = "ALAM_MAX_TEXT_BYTES", default_value_t = Bytes(defaults().max_text_bytes))]
    max_text_bytes: Bytes,
    /// The most requests in one ExtractBatch call.
    #[arg(long, value_name = "N", env = "ALAM_MAX_BATCH", default_value_t = defaults().max_batch)]
    max_batch: usize,
    /// The largest gRPC message received, in bytes (answers are sent whole) [default:
    /// max-text-bytes + 64KiB].
    #[arg(long, value_name = "BYTES", env = "ALAM_MAX_MESSAGE_BYTES")]
    max_message_bytes: Option<Bytes>,
    /// The most bytes of text extracted at once, server-wide; a call that would go over is
    /// refused at once with RESOURCE_EXHAUSTED [default: 16 × max-text-bytes].
    #[arg(long, value_name = "BYTES", env = "ALAM_MAX_INFLIGHT_BYTES")]
    max_inflight_bytes: Option<Bytes>,
    /// The most streams (ExtractStream calls) open at once, server-wide; more are refused at
    /// once with RESOURCE_EXHAUSTED.
    #[arg(long, value_name = "N", env = "ALAM_MAX_STREAMS", default_value_t = defaults().max_streams)]
    max_streams: usize,
    /// How long one call (one request of a stream) may take; 0 for no limit.
    #[arg(long, value_name = "DURATION", env = "ALAM_REQUEST_TIMEOUT", default_value_t = Span::or_zero(defaults().request_timeout))]
    request_timeout: Span,
    /// The most calls in flight per connection; more fail at once with RESOURCE_EXHAUSTED;
    /// 0 for no limit.
    #[arg(
        long,
        value_name = "N",
        env = "ALAM_CONCURRENCY_LIMIT",
        default_value_t = defaults().concurrency_limit.unwrap_or(0)
    )]
    concurrency_limit: usize,
    /// On SIGTERM/SIGINT, how long to report NOT_SERVING while still answering, before
    /// refusing new calls.
    #[arg(long, value_name = "DURATION", env = "ALAM_DRAIN_DELAY", default_value_t = Span(defaults().drain_delay))]
    drain_delay: Span,
    /// After the drain delay, how long calls in flight may take to finish.
    #[arg(long, value_name = "DURATION", env = "ALAM_SHUTDOWN_TIMEOUT", default_value_t = Span(defaults().shutdown_timeout))]
    shutdown_timeout: Span,
    /// How long a new connection may take to send its first bytes (and an HTTP/2 header block to
    /// be whole).before it is closed.
    #[arg(long, value_name = "DURATION", env = "ALAM_FIRST_BYTES_TIMEOUT", default_value_t = Span(defaults().first_bytes_timeout))]
    first_bytes_timeout: Span,
    /// How long a connection may stay idle (no byte either way) before it is closed; above
    /// --request-timeout; 0 for no limit.
    #[arg(long, value_name = "DURATION", env = "ALAM_IDLE_TIMEOUT", default_value_t = Span::or_zero(defaults().idle_timeout))]
    idle_timeout: Span,
    /// How often to ping a connection that carries nothing, to find dead peers; 0 for never.
    #[arg(long, value_name = "DURATION", env = "ALAM_KEEPALIVE_INTERVAL", default_value_t = Span::or_zero(defaults().keepalive_interval))]
    keepalive_interval: Span,
    /// How long a connection may live before the client is asked to reconnect (HTTP/2 GOAWAY;
    /// the calls in flight finish first), so that clients spread over replicas added since; 0
    /// for no limit.
    #[arg(long, value_name = "DURATION", env = "ALAM_MAX_CONNECTION_AGE", default_value_t = Span::or_zero(defaults().max_connection_age))]
    max_connection_age: Span,
    /// How log lines look (the level comes from RUST_LOG, info by default).
    #[arg(
        long,
        value_name = "FORMAT",
        env = "ALAM_LOG_FORMAT",
        default_value = "text",
        value_parser = clap::builder::PossibleValuesParser::new(LogFormat::NAMES)
            .map(|name: String| LogFormat::from_name(&name).unwrap_or_default())
    )]
    log_format: LogFormat,
    /// Reload the gazetteers when their directory changes (needs --gazetteers); SIGHUP reloads
    /// them either way.
    #[arg(long, env = "ALAM_WATCH", requires = "gazetteers")]
    watch: bool,
    /// How often --watch looks at the gazetteer directory.
    #[arg(long, value_name = "DURATION", env = "ALAM_WATCH_INTERVAL", default_value = "2s", value_parser = parse_interval)]
    watch_interval: Duration,
    /// Where to serve Prometheus metrics (GET /metrics), loopback by default (they have no
    /// authentication: open them to a network deliberately, e.g. 0.0.0.0:9090); "off" for nowhere.
    #[arg(long, value_name = "HOST:PORT|off", env = "ALAM_METRICS_ADDR", default_value = "127.0.0.1:9090", value_parser = parse_metrics_addr)]
    metrics_addr: MetricsAddr,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", env = "ALAM_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", env = "ALAM_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS; needs --tls-cert.
    #[arg(
        long,
        value_name = "FILE",
        env = "ALAM_TLS_CLIENT_CA",
        requires = "tls_cert"
    )]
    tls_client_ca: Option<PathBuf>,
    /// Export OpenTelemetry traces over OTLP/gRPC to this collector (such as
    /// http://otel-collector:4317); by default, to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
    /// OTEL_EXPORTER_OTLP_ENDPOINT when set, else nowhere. OTEL_SERVICE_NAME names the service.
    #[arg(long, value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// A web origin whose pages may call the service from a browser (gRPC-Web, HTTP/JSON), such
    /// as https://app.example, or * for any; repeat for several. None by default.
    #[arg(
        long = "cors-allow-origin",
        value_name = "ORIGIN",
        env = "ALAM_CORS_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    cors_allow_origins: Vec<String>,
}

/// Where to serve metrics, or nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MetricsAddr(Option<SocketAddr>);

impl ServeArgs {
    /// The server's configuration from the flags, checked together: an error names the flags
    /// that disagree and how to fix them.
    fn config(&self) -> Result<ServeConfig, String> {
        let max_text_bytes = self.max_text_bytes.0;
        if max_text_bytes == 0 {
            return Err("--max-text-bytes must be above 0".to_string());
        }
        if max_text_bytes > i32::MAX as usize {
            // The contract's offsets and counts are signed 32-bit integers (AIP-141).
            return Err(format!(
                "--max-text-bytes {} is over 2GiB - 1: offsets into a longer text would not \
                 fit the contract's 32-bit fields",
                self.max_text_bytes
            ));
        }
        if self.max_batch == 0 {
            return Err(
                "--max-batch must be at least 1 (ExtractBatch takes no request at 0)".into(),
            );
        }
        if let Some(max_message) = self.max_message_bytes
            && max_message.0 <= max_text_bytes
        {
            return Err(format!(
                "--max-message-bytes {max_message} is not above --max-text-bytes {}: a text at \
                 the limit could not arrive in a message; raise it, or leave it unset \
                 (max-text-bytes + 64KiB)",
                self.max_text_bytes
            ));
        }
        if let Some(bad) = self
            .cors_allow_origins
            .iter()
            .find(|origin| origin.is_empty() || http::HeaderValue::from_str(origin).is_err())
        {
            return Err(format!(
                "--cors-allow-origin {bad:?} is not an origin: give one such as \
                 https://app.example, or * for any"
            ));
        }
        if self.first_bytes_timeout.0.is_zero() {
            return Err("--first-bytes-timeout must be above 0".to_string());
        }
        if let (Some(idle), Some(request)) =
            (self.idle_timeout.nonzero(), self.request_timeout.nonzero())
            && idle <= request
        {
            return Err(format!(
                "--idle-timeout {} is not above --request-timeout {}: a connection would be \
                 closed under a call still computing; raise it, or 0 for no limit",
                self.idle_timeout, self.request_timeout
            ));
        }
        let max_inflight_text_bytes = self
            .max_inflight_bytes
            .map_or_else(|| default_max_inflight_text_bytes(max_text_bytes), |b| b.0);
        if max_inflight_text_bytes < max_text_bytes {
            return Err(format!(
                "--max-inflight-bytes {} is below --max-text-bytes {}: a text at the limit \
                 could never run; raise it, or leave it unset (16 × max-text-bytes)",
                Bytes(max_inflight_text_bytes),
                self.max_text_bytes
            ));
        }
        Ok(ServeConfig {
            max_text_bytes,
            max_batch: self.max_batch,
            max_inflight_text_bytes,
            max_streams: self.max_streams,
            max_message_bytes: self
                .max_message_bytes
                .map_or_else(|| default_max_message_bytes(max_text_bytes), |b| b.0),
            request_timeout: self.request_timeout.nonzero(),
            concurrency_limit: (self.concurrency_limit > 0).then_some(self.concurrency_limit),
            drain_delay: self.drain_delay.0,
            shutdown_timeout: self.shutdown_timeout.0,
            first_bytes_timeout: self.first_bytes_timeout.0,
            idle_timeout: self.idle_timeout.nonzero(),
            keepalive_interval: self.keepalive_interval.nonzero(),
            max_connection_age: self.max_connection_age.nonzero(),
            cors_allowed_origins: self.cors_allow_origins.clone(),
        })
    }

    /// The TLS files, when TLS is asked for.
    fn tls_files(&self) -> Option<TlsFiles> {
        Some(TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
        })
    }

    /// Where reloads read the gazetteers, when they come from a directory.
    fn reload_config(&self) -> Option<ReloadConfig> {
        Some(ReloadConfig {
            dir: self.gazetteers.clone()?,
            watch_interval: self.watch.then_some(self.watch_interval),
        })
    }
}

/// How the server's own lines reach standard error: `alam: …` for people, or, with
/// `--log-format json`, a JSON line like every other, for log collectors.
#[derive(Clone, Copy)]
struct Say(LogFormat);

impl Say {
    fn info(self, message: fmt::Arguments<'_>) {
        match self.0 {
            LogFormat::Text => eprintln!("alam: {message}"),
            LogFormat::Json => tracing::info!("{message}"),
        }
    }

    fn error(self, message: fmt::Arguments<'_>) {
        match self.0 {
            LogFormat::Text => eprintln!("alam: {message}"),
            LogFormat::Json => tracing::error!("{message}"),
        }
    }
}

/// Runs `alam serve`: binds, prints `alam: serving on ADDR` (and `alam: metrics on ADDR`) to
/// standard error, loads the gazetteers, serves until SIGTERM or SIGINT, reloading them on
/// SIGHUP. Exit code 0 after a clean shutdown, 1 otherwise.
pub fn run(args: ServeArgs) -> ExitCode {
    let config = match args.config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("alam: {e}");
            return ExitCode::from(2);
        }
    };
    let log_format = args.log_format;
    let say = Say(log_format);
    // Matching is CPU-bound: as many blocking threads as cores is all that helps.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores.max(2))
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("alam: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // Inside the runtime: the OTLP exporter's channel lives there.
    let telemetry =
        match runtime.block_on(async { init_telemetry(log_format, args.otlp_endpoint.clone()) }) {
            Ok(telemetry) => telemetry,
            Err(e) => {
                eprintln!("alam: {e}");
                return ExitCode::from(2);
            }
        };
    if let Some(endpoint) = telemetry.exporting_to() {
        tracing::info!(endpoint, "exporting traces over OTLP");
    }
    let exit = runtime.block_on(async move {
        // TLS first: a broken certificate must stop the server before it says it serves.
        let tls = match args.tls_files().map(|files| files.load()).transpose() {
            Ok(tls) => {
                if tls.is_some() {
                    let client_certificates = args.tls_client_ca.is_some();
                    tracing::info!(client_certificates, "TLS on");
                }
                tls
            }
            Err(e) => {
                say.error(format_args!("{e}"));
                return ExitCode::from(1);
            }
        };
        let listener = match tokio::net::TcpListener::bind(args.addr).await {
            Ok(listener) => listener,
            Err(e) => {
                say.error(format_args!("cannot listen on {}: {e}", args.addr));
                return ExitCode::from(1);
            }
        };
        // Listening for the stop signals before saying so: a signal from then on drains.
        let stop = shutdown_signal();
        match listener.local_addr() {
            Ok(addr) => say.info(format_args!("serving on {addr}")),
            Err(e) => say.info(format_args!("serving on {} ({e})", args.addr)),
        }
        let metrics_listener = match args.metrics_addr.0 {
            Some(addr) => match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => {
                    match listener.local_addr() {
                        Ok(addr) => say.info(format_args!("metrics on {addr}")),
                        Err(e) => say.info(format_args!("metrics on {addr} ({e})")),
                    }
                    Some(listener)
                }
                // Metrics are for operators; a port taken by another process on a shared host
                // must not stop the service. Prometheus will report the target down.
                Err(e) => {
                    say.error(format_args!(
                        "cannot listen on {addr} for metrics ({e}); serving without them"
                    ));
                    None
                }
            },
            None => None,
        };
        let ops = Ops {
            metrics_listener,
            reload: args.reload_config(),
            reload_on_sighup: true,
            tls,
        };
        let source = GazetteerSource::from_option(args.gazetteers.clone());
        let load = async move {
            tokio::task::spawn_blocking(move || Extractor::load(&source))
                .await?
                .map_err(LoadError::from)
        };
        let shutdown = async {
            let signal = stop.await;
            tracing::info!(signal, "signal received");
            // A second signal means the operator will not wait for the drain.
            tokio::spawn(async move {
                let signal = shutdown_signal().await;
                say.error(format_args!(
                    "second {signal}; exiting without waiting for calls in flight"
                ));
                std::process::exit(1);
            });
        };
        match serve_with_ops(listener, config, ops, load, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say.error(format_args!("{e}"));
                ExitCode::from(1)
            }
        }
    });
    // The spans of the last calls are still buffered: export them before exiting.
    telemetry.shutdown();
    exit
}

/// Parses the watch interval: a duration above zero.
fn parse_interval(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err("the interval must be above zero".to_string()),
        d => Ok(d),
    }
}

/// Parses the metrics address: `HOST:PORT`, or `off` (or empty) for no metrics.
fn parse_metrics_addr(text: &str) -> Result<MetricsAddr, String> {
    match text.trim() {
        "" | "off" => Ok(MetricsAddr(None)),
        addr => addr
            .parse()
            .map(|addr| MetricsAddr(Some(addr)))
            .map_err(|e| format!("{addr:?}: {e}; write HOST:PORT, or off")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// `alam serve`'s flags alone.
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(flags: &[&str]) -> Result<ServeConfig, String> {
        let argv = std::iter::once("serve").chain(flags.iter().copied());
        Flags::try_parse_from(argv).unwrap().serve.config()
    }

    #[test]
    fn the_defaults_are_the_servers() {
        let (flags, defaults) = (config(&[]).unwrap(), ServeConfig::default());
        assert_eq!(flags.max_text_bytes, defaults.max_text_bytes);
        assert_eq!(flags.max_batch, defaults.max_batch);
        assert_eq!(flags.max_streams, defaults.max_streams);
        assert_eq!(
            flags.max_inflight_text_bytes,
            defaults.max_inflight_text_bytes
        );
        assert_eq!(flags.max_message_bytes, defaults.max_message_bytes);
        assert_eq!(flags.request_timeout, defaults.request_timeout);
        assert_eq!(flags.concurrency_limit, defaults.concurrency_limit);
        assert_eq!(flags.drain_delay, defaults.drain_delay);
        assert_eq!(flags.shutdown_timeout, defaults.shutdown_timeout);
        assert_eq!(flags.first_bytes_timeout, defaults.first_bytes_timeout);
        assert_eq!(flags.idle_timeout, defaults.idle_timeout);
        assert_eq!(flags.keepalive_interval, defaults.keepalive_interval);
        assert_eq!(flags.max_connection_age, defaults.max_connection_age);
    }

    #[test]
    fn flags_that_disagree_are_refused_with_what_to_do() {
        let error =
            config(&["--max-message-bytes", "1KiB", "--max-text-bytes", "2MiB"]).unwrap_err();
        assert!(error.contains("--max-message-bytes 1KiB"), "{error}");
        assert!(error.contains("--max-text-bytes 2MiB"), "{error}");
        assert!(
            config(&["--max-batch", "0"])
                .unwrap_err()
                .contains("--max-batch")
        );
        assert!(config(&["--max-text-bytes", "0"]).is_err());
        let error =
            config(&["--max-inflight-bytes", "1MiB", "--max-text-bytes", "2MiB"]).unwrap_err();
        assert!(error.contains("--max-inflight-bytes 1MiB"), "{error}");
        let error = config(&["--idle-timeout", "10s", "--request-timeout", "30s"]).unwrap_err();
        assert!(error.contains("--idle-timeout 10s"), "{error}");
        let zero_means_none =
            config(&["--request-timeout", "0", "--concurrency-limit", "0"]).unwrap();
        assert_eq!(zero_means_none.request_timeout, None);
        assert_eq!(zero_means_none.concurrency_limit, None);
    }

    #[test]
    fn metrics_addresses() {
        let addr = "127.0.0.1:9090".parse().ok();
        assert_eq!(
            parse_metrics_addr("127.0.0.1:9090").unwrap(),
            MetricsAddr(addr)
        );
        assert_eq!(parse_metrics_addr("off").unwrap(), MetricsAddr(None));
        assert_eq!(parse_metrics_addr("").unwrap(), MetricsAddr(None));
        assert!(parse_metrics_addr("9090").is_err());
        assert!(parse_interval("0").is_err());
        assert_eq!(parse_interval("2s").unwrap(), Duration::from_secs(2));
    }
}
