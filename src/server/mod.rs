//! The gRPC service (`alam serve`): `alam.v1.EntityExtractor` on tonic, with gRPC health for
//! Kubernetes probes, reflection (v1 and v1alpha) for grpcurl, and a graceful shutdown.
//!
//! A thin layer on the engine: the handlers ([`service`]) turn messages into engine calls and
//! back ([`convert`]), within the limits of [`extraction`]; [`status`] is the one place where
//! failures become gRPC statuses. [`serve_with_listener`] runs a server on a bound listener, so
//! that tests can drive one without a process; [`run`] is the command.
//!
//! Concurrency: `--concurrency-limit` applies per connection (tonic's limit with load
//! shedding), so a caller over it gets RESOURCE_EXHAUSTED at once rather than a queue.
//!
//! Operations: Prometheus [`metrics`] on their own port, hot [`reload`] of the gazetteers
//! (SIGHUP, `--watch`), [`tls`] and mutual TLS, JSON logs with request ids ([`logging`]).

pub mod convert;
pub mod extraction;
pub mod health;
pub mod loaded;
pub mod logging;
pub mod metrics;
pub mod offload;
pub mod paging;
pub mod reload;
pub mod serve;
pub mod service;
pub mod shutdown;
pub mod status;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

pub use logging::LogFormat;
pub use reload::ReloadConfig;
pub use serve::{
    LoadError, Ops, ServeConfig, ServeError, default_max_message_bytes, serve_with_listener,
    serve_with_ops,
};
pub use tls::TlsFiles;

use crate::{Extractor, Gazetteer};

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
    pub addr: SocketAddr,
    /// Load the gazetteers from this directory (*.toml, *.jsonl) instead of the embedded ones.
    #[arg(long, value_name = "DIR", env = "ALAM_GAZETTEERS")]
    pub gazetteers: Option<PathBuf>,
    /// The longest text of a request, in bytes (suffixes KiB, MiB accepted).
    #[arg(long, value_name = "BYTES", env = "ALAM_MAX_TEXT_BYTES", default_value = "1MiB", value_parser = parse_bytes)]
    pub max_text_bytes: usize,
    /// The most requests in one ExtractBatch call.
    #[arg(long, value_name = "N", env = "ALAM_MAX_BATCH", default_value_t = 1000)]
    pub max_batch: usize,
    /// The largest gRPC message received or sent, in bytes [default: max-text-bytes + 64KiB].
    #[arg(long, value_name = "BYTES", env = "ALAM_MAX_MESSAGE_BYTES", value_parser = parse_bytes)]
    pub max_message_bytes: Option<usize>,
    /// How long one call (one request of a stream) may take; 0 for no limit.
    #[arg(long, value_name = "DURATION", env = "ALAM_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// The most calls in flight per connection; more fail at once with RESOURCE_EXHAUSTED;
    /// 0 for no limit.
    #[arg(
        long,
        value_name = "N",
        env = "ALAM_CONCURRENCY_LIMIT",
        default_value_t = 256
    )]
    pub concurrency_limit: usize,
    /// On SIGTERM/SIGINT, how long to report NOT_SERVING while still answering, before
    /// refusing new calls.
    #[arg(long, value_name = "DURATION", env = "ALAM_DRAIN_DELAY", default_value = "5s", value_parser = parse_duration)]
    pub drain_delay: Duration,
    /// After the drain delay, how long calls in flight may take to finish.
    #[arg(long, value_name = "DURATION", env = "ALAM_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// How log lines look (the level comes from RUST_LOG, info by default).
    #[arg(long, value_name = "FORMAT", env = "ALAM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Reload the gazetteers when their directory changes (needs --gazetteers); SIGHUP reloads
    /// them either way.
    #[arg(long, env = "ALAM_WATCH", requires = "gazetteers")]
    pub watch: bool,
    /// How often --watch looks at the gazetteer directory.
    #[arg(long, value_name = "DURATION", env = "ALAM_WATCH_INTERVAL", default_value = "2s", value_parser = parse_interval)]
    pub watch_interval: Duration,
    /// Where to serve Prometheus metrics (GET /metrics); "off" for nowhere.
    #[arg(long, value_name = "HOST:PORT|off", env = "ALAM_METRICS_ADDR", default_value = "0.0.0.0:9090", value_parser = parse_metrics_addr)]
    pub metrics_addr: MetricsAddr,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", env = "ALAM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", env = "ALAM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS; needs --tls-cert.
    #[arg(
        long,
        value_name = "FILE",
        env = "ALAM_TLS_CLIENT_CA",
        requires = "tls_cert"
    )]
    pub tls_client_ca: Option<PathBuf>,
}

/// Where to serve metrics, or nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsAddr(pub Option<SocketAddr>);

impl ServeArgs {
    /// The server's configuration from the flags.
    pub fn config(&self) -> ServeConfig {
        let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
        ServeConfig {
            max_text_bytes: self.max_text_bytes,
            max_batch: self.max_batch,
            max_message_bytes: self
                .max_message_bytes
                .unwrap_or_else(|| serve::default_max_message_bytes(self.max_text_bytes)),
            request_timeout: nonzero(self.request_timeout),
            concurrency_limit: (self.concurrency_limit > 0).then_some(self.concurrency_limit),
            drain_delay: self.drain_delay,
            shutdown_timeout: self.shutdown_timeout,
        }
    }

    /// The TLS files, when TLS is asked for.
    pub fn tls_files(&self) -> Option<TlsFiles> {
        Some(TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
        })
    }

    /// Where reloads read the gazetteers, when they come from a directory.
    pub fn reload_config(&self) -> Option<ReloadConfig> {
        Some(ReloadConfig {
            dir: self.gazetteers.clone()?,
            watch_interval: self.watch.then_some(self.watch_interval),
        })
    }
}

/// Runs `alam serve`: binds, prints `alam: serving on ADDR` (and `alam: metrics on ADDR`) to
/// standard error, loads the gazetteers, serves until SIGTERM or SIGINT, reloading them on
/// SIGHUP. Exit code 0 after a clean shutdown, 1 otherwise.
pub fn run(args: ServeArgs) -> ExitCode {
    let log_format = args.log_format;
    logging::init(log_format);
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
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.addr).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("alam: cannot listen on {}: {e}", args.addr);
                return ExitCode::from(1);
            }
        };
        match listener.local_addr() {
            Ok(addr) => eprintln!("alam: serving on {addr}"),
            Err(e) => eprintln!("alam: serving on {} ({e})", args.addr),
        }
        let tls = match args.tls_files().map(|files| files.load()).transpose() {
            Ok(tls) => {
                if tls.is_some() {
                    let client_certificates = args.tls_client_ca.is_some();
                    tracing::info!(client_certificates, "TLS on");
                }
                tls
            }
            Err(e) => {
                eprintln!("alam: {e}");
                return ExitCode::from(1);
            }
        };
        let metrics_listener = match args.metrics_addr.0 {
            Some(addr) => match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => {
                    match listener.local_addr() {
                        Ok(addr) => eprintln!("alam: metrics on {addr}"),
                        Err(e) => eprintln!("alam: metrics on {addr} ({e})"),
                    }
                    Some(listener)
                }
                // Metrics are for operators; a port taken by another process on a shared host
                // must not stop the service. Prometheus will report the target down.
                Err(e) => {
                    eprintln!(
                        "alam: cannot listen on {addr} for metrics ({e}); serving without them"
                    );
                    tracing::error!(
                        "cannot listen on {addr} for metrics ({e}); serving without them"
                    );
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
        let gazetteers = args.gazetteers.clone();
        let load = async move {
            tokio::task::spawn_blocking(move || load_extractor(gazetteers))
                .await
                .map_err(LoadError::from)?
        };
        let shutdown = async {
            let signal = shutdown::signal().await;
            tracing::info!(signal, "signal received");
            // A second signal means the operator will not wait for the drain.
            tokio::spawn(async {
                let signal = shutdown::signal().await;
                eprintln!("alam: second {signal}; exiting without waiting for calls in flight");
                std::process::exit(1);
            });
        };
        match serve_with_ops(listener, args.config(), ops, load, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                // Log collectors read JSON lines; people read the plain line.
                if log_format == LogFormat::Json {
                    tracing::error!("{e}");
                }
                eprintln!("alam: {e}");
                ExitCode::from(1)
            }
        }
    })
}

fn load_extractor(gazetteers: Option<PathBuf>) -> Result<Extractor, LoadError> {
    let gazetteer = match gazetteers {
        Some(dir) => Gazetteer::load_dir(dir)?,
        None => Gazetteer::embedded()?,
    };
    Ok(Extractor::new(gazetteer)?)
}

/// Parses a duration: a number with a unit (`ms`, `s`, `m`, `h`), such as `5s`, `0.2s`,
/// `250ms`; a bare `0` is zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} has no unit; write e.g. 5s, 0.2s, 250ms, 1m"))?;
    let (number, unit) = text.split_at(split);
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("unknown unit {unit:?}; use ms, s, m or h")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    Duration::try_from_secs_f64(value * seconds_per_unit).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses the watch interval: a duration above zero.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err("the interval must be above zero".to_string()),
        d => Ok(d),
    }
}

/// Parses the metrics address: `HOST:PORT`, or `off` (or empty) for no metrics.
pub fn parse_metrics_addr(text: &str) -> Result<MetricsAddr, String> {
    match text.trim() {
        "" | "off" => Ok(MetricsAddr(None)),
        addr => addr
            .parse()
            .map(|addr| MetricsAddr(Some(addr)))
            .map_err(|e| format!("{addr:?}: {e}; write HOST:PORT, or off")),
    }
}

/// Parses a size in bytes: a number, optionally with `KiB`, `MiB` or `GiB`.
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => return Err(format!("unknown unit {other:?}; use KiB, MiB or GiB")),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("{text:?} is not a size in bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("0.2s").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1MiB").unwrap(), 1 << 20);
        assert_eq!(parse_bytes("64KiB").unwrap(), 64 << 10);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        assert!(parse_bytes("1MB").is_err());
        assert!(parse_bytes("").is_err());
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
