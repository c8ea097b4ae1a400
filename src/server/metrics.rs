//! Prometheus metrics: a small registry of atomics, rendered in the text exposition format
//! (version 0.0.4) and served with axum over plain HTTP/1.1 on its own port (`GET /metrics`), so
//! that a scrape never competes with gRPC calls for the gRPC port's connection limits.
//!
//! The gRPC names follow go-grpc-prometheus (`grpc_server_started_total`,
//! `grpc_server_handled_total`, `grpc_server_handling_seconds`), so that the dashboards and
//! alerts written for it work unchanged; the rest are `alam_…`. Gazetteer gauges are read from
//! the current engine at scrape time, so they are never out of date after a reload.
//!
//! The methods come from the proto (the build script lists them), the calls are counted by the
//! call layer (`call.rs`). A registry of atomics rather than the `prometheus` crate: the calls
//! update a few fixed arrays of counters.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tonic::Code;

use super::process::ProcessSample;
use super::slot::ExtractorSlot;
use crate::proto::entity_extractor_service_server::SERVICE_NAME;

/// The methods of `alam.v1.EntityExtractorService` as the proto declares them, in its order: each
/// method's name and its kind of call in go-grpc-prometheus's words (`unary`, `bidi_stream` …).
const METHODS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/alam_methods.rs"));

/// A method of the service, by its place in [`METHODS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Method(usize);

impl Method {
    /// The method a gRPC path such as `/alam.v1.EntityExtractorService/Extract` calls, if it is one of
    /// the service's.
    pub(crate) fn from_path(path: &str) -> Option<Method> {
        let name = path
            .strip_prefix('/')?
            .strip_prefix(SERVICE_NAME)?
            .strip_prefix('/')?;
        METHODS.iter().position(|(n, _)| *n == name).map(Method)
    }

    /// Every method, in the order of the proto.
    fn all() -> impl Iterator<Item = Method> {
        (0..METHODS.len()).map(Method)
    }

    /// The method's name in the proto.
    pub(crate) fn name(self) -> &'static str {
        METHODS[self.0].0
    }

    /// The kind of call, in go-grpc-prometheus's words.
    pub(crate) fn grpc_type(self) -> &'static str {
        METHODS[self.0].1
    }

    /// Whether the method extracts from text (the `Extract…` methods), and so counts text bytes
    /// and mentions.
    fn extracts(self) -> bool {
        self.name().starts_with("Extract")
    }
}

/// The upper bounds of the latency histogram's buckets, in seconds: from a short text matched
/// inline (well under a millisecond) to a large batch near the default request timeout.
const LATENCY_BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// Which message counter of a method a series reads.
type MessageCounter = fn(&MethodMetrics) -> &AtomicU64;

/// All the gRPC codes, 0 to 16.
const CODES: usize = 17;

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        // Buckets are cumulative when rendered; here each observation lands in one.
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&le| seconds <= le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct MethodMetrics {
    started: AtomicU64,
    handled: [AtomicU64; CODES],
    in_flight: AtomicI64,
    handling: Histogram,
    text_bytes: AtomicU64,
    mentions: AtomicU64,
    messages_received: AtomicU64,
    messages_sent: AtomicU64,
}

/// The registry: updated by every call and every reload, read by the `/metrics` endpoint.
pub(crate) struct Metrics {
    methods: Box<[MethodMetrics]>,
    reloads_succeeded: AtomicU64,
    reloads_failed: AtomicU64,
    connections_accepted: AtomicU64,
    connections_open: AtomicI64,
    tls_handshake_failures: AtomicU64,
    started_at: SystemTime,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            methods: Method::all().map(|_| MethodMetrics::default()).collect(),
            reloads_succeeded: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            connections_accepted: AtomicU64::new(0),
            connections_open: AtomicI64::new(0),
            tls_handshake_failures: AtomicU64::new(0),
            started_at: SystemTime::now(),
        }
    }
}

impl Metrics {
    /// An empty registry.
    pub(crate) fn new() -> Metrics {
        Metrics::default()
    }

    /// A call of `method` started.
    pub(crate) fn call_started(&self, method: Method) {
        let m = &self.methods[method.0];
        m.started.fetch_add(1, Ordering::Relaxed);
        m.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` more messages of a call of `method` arrived.
    pub(crate) fn messages_received(&self, method: Method, n: usize) {
        let m = &self.methods[method.0];
        m.messages_received.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// `n` more messages of a call of `method` went out.
    pub(crate) fn messages_sent(&self, method: Method, n: usize) {
        let m = &self.methods[method.0];
        m.messages_sent.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// A call of `method` ended with `code` after `elapsed`, having received `text_bytes`
    /// bytes of text and returned `mentions` mentions.
    pub(crate) fn call_handled(
        &self,
        method: Method,
        code: Code,
        elapsed: Duration,
        text_bytes: usize,
        mentions: usize,
    ) {
        let m = &self.methods[method.0];
        let code_index = usize::try_from(code as i32).unwrap_or(Code::Unknown as usize);
        m.handled[code_index.min(CODES - 1)].fetch_add(1, Ordering::Relaxed);
        m.in_flight.fetch_sub(1, Ordering::Relaxed);
        m.handling.observe(elapsed);
        m.text_bytes.fetch_add(text_bytes as u64, Ordering::Relaxed);
        m.mentions.fetch_add(mentions as u64, Ordering::Relaxed);
    }

    /// A connection was accepted on the gRPC port.
    pub(crate) fn connection_opened(&self) {
        self.connections_accepted.fetch_add(1, Ordering::Relaxed);
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    /// A TLS handshake failed on the gRPC port.
    pub(crate) fn tls_handshake_failed(&self) {
        self.tls_handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection of the gRPC port was closed.
    pub(crate) fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// A reload of the gazetteers succeeded (`true`) or failed.
    pub(crate) fn reload_finished(&self, succeeded: bool) {
        let counter = if succeeded {
            &self.reloads_succeeded
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text: every metric, with the gazetteer gauges of `slot`.
    pub(crate) fn render(&self, slot: &ExtractorSlot) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.render_grpc(&mut out);
        self.render_alam(&mut out, slot);
        out
    }

    fn render_grpc(&self, out: &mut String) {
        let labels = |method: Method| {
            format!(
                "grpc_type=\"{}\",grpc_service=\"{SERVICE_NAME}\",grpc_method=\"{}\"",
                method.grpc_type(),
                method.name()
            )
        };
        header(
            out,
            "grpc_server_started_total",
            "counter",
            "Calls started on the server.",
        );
        for method in Method::all() {
            let value = self.methods[method.0].started.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "grpc_server_started_total{{{}}} {value}",
                labels(method)
            );
        }
        header(
            out,
            "grpc_server_handled_total",
            "counter",
            "Calls completed on the server, by gRPC code (grpc-go's names); every code is listed, \
             so that rates and alerts see a code from zero.",
        );
        for method in Method::all() {
            for (code, counter) in self.methods[method.0].handled.iter().enumerate() {
                let value = counter.load(Ordering::Relaxed);
                let code = go_code_name(Code::from(code as i32));
                let _ = writeln!(
                    out,
                    "grpc_server_handled_total{{{},grpc_code=\"{code}\"}} {value}",
                    labels(method)
                );
            }
        }
        let messages: [(&str, &str, MessageCounter); 2] = [
            (
                "grpc_server_msg_received_total",
                "Messages received from clients (one per unary call, one per request of a stream).",
                |m| &m.messages_received,
            ),
            (
                "grpc_server_msg_sent_total",
                "Messages sent to clients (one per answered unary call, one per answer of a stream).",
                |m| &m.messages_sent,
            ),
        ];
        for (name, help, counter) in messages {
            header(out, name, "counter", help);
            for method in Method::all() {
                let value = counter(&self.methods[method.0]).load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}{{{}}} {value}", labels(method));
            }
        }
        header(
            out,
            "grpc_server_handling_seconds",
            "histogram",
            "Time from the start of a call to its status, in seconds.",
        );
        for method in Method::all() {
            let histogram = &self.methods[method.0].handling;
            let labels = labels(method);
            let mut cumulative = 0;
            for (le, bucket) in LATENCY_BUCKETS.iter().zip(&histogram.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "grpc_server_handling_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let count = histogram.count.load(Ordering::Relaxed);
            let sum = histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "grpc_server_handling_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "grpc_server_handling_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(
                out,
                "grpc_server_handling_seconds_count{{{labels}}} {count}"
            );
        }
        header(
            out,
            "alam_grpc_server_in_flight",
            "gauge",
            "Calls started and not yet completed.",
        );
        for method in Method::all() {
            let value = self.methods[method.0].in_flight.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "alam_grpc_server_in_flight{{{}}} {value}",
                labels(method)
            );
        }
    }

    fn render_alam(&self, out: &mut String, slot: &ExtractorSlot) {
        let per_method =
            |out: &mut String, name: &str, help: &str, read: &dyn Fn(&MethodMetrics) -> u64| {
                header(out, name, "counter", help);
                for method in Method::all().filter(|m| m.extracts()) {
                    let value = read(&self.methods[method.0]);
                    let _ = writeln!(out, "{name}{{grpc_method=\"{}\"}} {value}", method.name());
                }
            };
        per_method(
            out,
            "alam_text_bytes_total",
            "Bytes of text received for extraction (UTF-8).",
            &|m| m.text_bytes.load(Ordering::Relaxed),
        );
        per_method(
            out,
            "alam_mentions_total",
            "Mentions returned by extraction calls.",
            &|m| m.mentions.load(Ordering::Relaxed),
        );

        header(
            out,
            "alam_connections_accepted_total",
            "counter",
            "Connections accepted on the gRPC port (gRPC, gRPC-Web and HTTP/JSON callers).",
        );
        let accepted = self.connections_accepted.load(Ordering::Relaxed);
        let _ = writeln!(out, "alam_connections_accepted_total {accepted}");
        header(
            out,
            "alam_connections_open",
            "gauge",
            "Connections open on the gRPC port.",
        );
        let open = self.connections_open.load(Ordering::Relaxed);
        let _ = writeln!(out, "alam_connections_open {open}");
        header(
            out,
            "alam_tls_handshake_failures_total",
            "counter",
            "TLS handshakes that failed on the gRPC port (certificate refused, not TLS, too slow).",
        );
        let failed = self.tls_handshake_failures.load(Ordering::Relaxed);
        let _ = writeln!(out, "alam_tls_handshake_failures_total {failed}");

        header(
            out,
            "alam_gazetteer_reloads_total",
            "counter",
            "Gazetteer reloads (SIGHUP or --watch), by result.",
        );
        for (result, counter) in [
            ("success", &self.reloads_succeeded),
            ("failure", &self.reloads_failed),
        ] {
            let value = counter.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "alam_gazetteer_reloads_total{{result=\"{result}\"}} {value}"
            );
        }
        header(
            out,
            "alam_gazetteer_reload_failing",
            "gauge",
            "1 when the last reload failed (the previous gazetteers still serve), else 0.",
        );
        let failing = u8::from(slot.reload_status().last_error.is_some());
        let _ = writeln!(out, "alam_gazetteer_reload_failing {failing}");

        if let Some(loaded) = slot.current() {
            let extractor = &loaded.extractor;
            let gazetteer = extractor.gazetteer();
            header(
                out,
                "alam_gazetteer_info",
                "gauge",
                "The version (fingerprint) of the gazetteers serving, as a label; always 1.",
            );
            let _ = writeln!(
                out,
                "alam_gazetteer_info{{version=\"{}\"}} 1",
                escape(gazetteer.version())
            );
            let counts = gazetteer.type_counts();
            header(
                out,
                "alam_gazetteer_entities",
                "gauge",
                "Entities in the gazetteers, by type.",
            );
            for c in &counts {
                let _ = writeln!(
                    out,
                    "alam_gazetteer_entities{{type=\"{}\"}} {}",
                    escape(c.entity_type),
                    c.entities
                );
            }
            header(
                out,
                "alam_gazetteer_aliases",
                "gauge",
                "Names, aliases, short names and demonym stems in the gazetteers, by type.",
            );
            for c in &counts {
                let _ = writeln!(
                    out,
                    "alam_gazetteer_aliases{{type=\"{}\"}} {}",
                    escape(c.entity_type),
                    c.aliases
                );
            }
            let stats = extractor.stats();
            header(
                out,
                "alam_automaton_patterns",
                "gauge",
                "Distinct normalized surfaces in the automaton.",
            );
            let _ = writeln!(out, "alam_automaton_patterns {}", stats.patterns);
            header(
                out,
                "alam_automaton_memory_bytes",
                "gauge",
                "Heap memory of the automaton, in bytes.",
            );
            let _ = writeln!(out, "alam_automaton_memory_bytes {}", stats.automaton_bytes);
            header(
                out,
                "alam_gazetteer_loaded_timestamp_seconds",
                "gauge",
                "When the gazetteers serving were loaded, in seconds since the Unix epoch.",
            );
            let _ = writeln!(
                out,
                "alam_gazetteer_loaded_timestamp_seconds {}",
                unix_seconds(loaded.loaded_at)
            );
        }

        header(
            out,
            "alam_build_info",
            "gauge",
            "The version of this build of alam, as a label; always 1.",
        );
        let _ = writeln!(
            out,
            "alam_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let process = ProcessSample::now();
        let gauges: [(&str, &str, &str, Option<f64>); 5] = [
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                process.resident_memory_bytes.map(|b| b as f64),
            ),
            (
                "process_virtual_memory_bytes",
                "gauge",
                "Virtual memory size in bytes.",
                process.virtual_memory_bytes.map(|b| b as f64),
            ),
            (
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
                process.cpu_seconds,
            ),
            (
                "process_open_fds",
                "gauge",
                "Number of open file descriptors.",
                process.open_fds.map(|n| n as f64),
            ),
            (
                "process_max_fds",
                "gauge",
                "Maximum number of open file descriptors.",
                process.max_fds.map(|n| n as f64),
            ),
        ];
        for (name, kind, help, value) in gauges {
            if let Some(value) = value {
                header(out, name, kind, help);
                let _ = writeln!(out, "{name} {value}");
            }
        }
        header(
            out,
            "process_start_time_seconds",
            "gauge",
            "When the process started, in seconds since the Unix epoch.",
        );
        let _ = writeln!(
            out,
            "process_start_time_seconds {}",
            unix_seconds(self.started_at)
        );
    }
}

/// A gRPC code as grpc-go names it (`codes.Code.String()`), which go-grpc-prometheus's
/// dashboards and alerts match (`grpc_code="Unavailable"`).
fn go_code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A label value as the exposition format writes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Answers `GET /metrics` on `listener` until the task is dropped; another method on
/// `/metrics` is 405, any other path 404.
pub(crate) async fn serve(listener: TcpListener, metrics: Arc<Metrics>, slot: Arc<ExtractorSlot>) {
    let app = Router::new()
        .route(
            "/metrics",
            get(scrape).fallback(|| async { (StatusCode::METHOD_NOT_ALLOWED, "only GET\n") }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "metrics are at /metrics\n") })
        .with_state((metrics, slot));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("metrics endpoint stopped: {e}");
    }
}

async fn scrape(
    State((metrics, slot)): State<(Arc<Metrics>, Arc<ExtractorSlot>)>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(&slot),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_in_the_count() {
        let metrics = Metrics::new();
        let extract = Method::from_path("/alam.v1.EntityExtractorService/Extract").unwrap();
        for millis in [0, 3, 3, 20_000] {
            metrics.call_started(extract);
            metrics.call_handled(extract, Code::Ok, Duration::from_millis(millis), 10, 1);
        }
        let text = metrics.render(&ExtractorSlot::new());
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_string()
        };
        let extract = "grpc_type=\"unary\",grpc_service=\"alam.v1.EntityExtractorService\",grpc_method=\"Extract\"";
        assert_eq!(
            line(&format!(
                "grpc_server_handling_seconds_bucket{{{extract},le=\"0.0001\"}}"
            )),
            "1"
        );
        assert_eq!(
            line(&format!(
                "grpc_server_handling_seconds_bucket{{{extract},le=\"0.005\"}}"
            )),
            "3"
        );
        assert_eq!(
            line(&format!(
                "grpc_server_handling_seconds_bucket{{{extract},le=\"10\"}}"
            )),
            "3"
        );
        assert_eq!(
            line(&format!(
                "grpc_server_handling_seconds_bucket{{{extract},le=\"+Inf\"}}"
            )),
            "4"
        );
        assert_eq!(
            line(&format!(
                "grpc_server_handled_total{{{extract},grpc_code=\"OK\"}}"
            )),
            "4"
        );
        assert_eq!(
            line(&format!("alam_grpc_server_in_flight{{{extract}}}")),
            "0"
        );
        assert_eq!(line("alam_text_bytes_total{grpc_method=\"Extract\"}"), "40");
    }

    #[test]
    fn methods_come_from_the_proto_and_paths() {
        let names: Vec<&str> = Method::all().map(Method::name).collect();
        assert_eq!(
            names,
            [
                "Extract",
                "ExtractBatch",
                "ExtractStream",
                "GetEntity",
                "ListEntities",
                "GetInfo"
            ]
        );
        let stream = Method::from_path("/alam.v1.EntityExtractorService/ExtractStream").unwrap();
        assert_eq!(stream.grpc_type(), "bidi_stream");
        assert!(stream.extracts());
        assert!(Method::from_path("/alam.v1.EntityExtractorService/Nothing").is_none());
        assert!(Method::from_path("/grpc.health.v1.Health/Check").is_none());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
