//! Prometheus metrics: a small registry of atomics, rendered in the text exposition format
//! (version 0.0.4) and served over plain HTTP/1.1 on its own port (`GET /metrics`), so that a
//! scrape never competes with gRPC calls for the gRPC port's connection limits.
//!
//! The gRPC names follow go-grpc-prometheus (`grpc_server_started_total`,
//! `grpc_server_handled_total`, `grpc_server_handling_seconds`), so that the dashboards and
//! alerts written for it work unchanged; the rest are `alam_…`. Gazetteer gauges are read from
//! the current engine at scrape time, so they are never out of date after a reload.
//!
//! Hand-written rather than the `prometheus` crate plus an HTTP server stack: the calls update a
//! few fixed arrays of counters, and the endpoint answers one request per connection.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::Code;

use super::logging::code_name;
use super::slot::ExtractorSlot;
use crate::proto::entity_extractor_server::SERVICE_NAME;

/// The methods of `alam.v1.EntityExtractor`, each with its own counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Extract,
    ExtractBatch,
    ExtractStream,
    GetEntity,
    ListEntities,
    GetInfo,
}

impl Method {
    /// Every method, in the order of the proto.
    pub const ALL: [Method; 6] = [
        Method::Extract,
        Method::ExtractBatch,
        Method::ExtractStream,
        Method::GetEntity,
        Method::ListEntities,
        Method::GetInfo,
    ];

    /// The method's name in the proto.
    pub fn name(self) -> &'static str {
        match self {
            Method::Extract => "Extract",
            Method::ExtractBatch => "ExtractBatch",
            Method::ExtractStream => "ExtractStream",
            Method::GetEntity => "GetEntity",
            Method::ListEntities => "ListEntities",
            Method::GetInfo => "GetInfo",
        }
    }

    /// The kind of call, in go-grpc-prometheus's words.
    pub fn grpc_type(self) -> &'static str {
        match self {
            Method::ExtractStream => "bidi_stream",
            _ => "unary",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The upper bounds of the latency histogram's buckets, in seconds: from a short text matched
/// inline (well under a millisecond) to a large batch near the default request timeout.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

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
}

/// The registry: updated by every call and every reload, read by the `/metrics` endpoint.
pub struct Metrics {
    methods: [MethodMetrics; Method::ALL.len()],
    reloads_succeeded: AtomicU64,
    reloads_failed: AtomicU64,
    started_at: SystemTime,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            methods: Default::default(),
            reloads_succeeded: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            started_at: SystemTime::now(),
        }
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// A call of `method` started.
    pub fn call_started(&self, method: Method) {
        let m = &self.methods[method.index()];
        m.started.fetch_add(1, Ordering::Relaxed);
        m.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A call of `method` ended with `code` after `elapsed`, having received `text_bytes`
    /// bytes of text and returned `mentions` mentions.
    pub fn call_handled(
        &self,
        method: Method,
        code: Code,
        elapsed: Duration,
        text_bytes: usize,
        mentions: usize,
    ) {
        let m = &self.methods[method.index()];
        let code_index = usize::try_from(code as i32).unwrap_or(Code::Unknown as usize);
        m.handled[code_index.min(CODES - 1)].fetch_add(1, Ordering::Relaxed);
        m.in_flight.fetch_sub(1, Ordering::Relaxed);
        m.handling.observe(elapsed);
        m.text_bytes.fetch_add(text_bytes as u64, Ordering::Relaxed);
        m.mentions.fetch_add(mentions as u64, Ordering::Relaxed);
    }

    /// A reload of the gazetteers succeeded (`true`) or failed.
    pub fn reload_finished(&self, succeeded: bool) {
        let counter = if succeeded {
            &self.reloads_succeeded
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text: every metric, with the gazetteer gauges of `slot`.
    pub fn render(&self, slot: &ExtractorSlot) -> String {
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
        for method in Method::ALL {
            let value = self.methods[method.index()].started.load(Ordering::Relaxed);
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
            "Calls completed on the server, by gRPC code; codes never returned are left out.",
        );
        for method in Method::ALL {
            for (code, counter) in self.methods[method.index()].handled.iter().enumerate() {
                let value = counter.load(Ordering::Relaxed);
                if value > 0 {
                    let code = code_name(Code::from(code as i32));
                    let _ = writeln!(
                        out,
                        "grpc_server_handled_total{{{},grpc_code=\"{code}\"}} {value}",
                        labels(method)
                    );
                }
            }
        }
        header(
            out,
            "grpc_server_handling_seconds",
            "histogram",
            "Time from the start of a call to its status, in seconds.",
        );
        for method in Method::ALL {
            let histogram = &self.methods[method.index()].handling;
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
        for method in Method::ALL {
            let value = self.methods[method.index()]
                .in_flight
                .load(Ordering::Relaxed);
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
                for method in [Method::Extract, Method::ExtractBatch, Method::ExtractStream] {
                    let value = read(&self.methods[method.index()]);
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
            "Mentions returned by extraction calls that succeeded.",
            &|m| m.mentions.load(Ordering::Relaxed),
        );

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

/// The most a scrape request may send before its headers end.
const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// How long a scraper may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers `GET /metrics` on `listener` until the task is dropped; anything else is 404 (405
/// for another method on `/metrics`). One request per connection.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, slot: Arc<ExtractorSlot>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: back off rather than spin.
                tracing::warn!("metrics endpoint: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (metrics, slot) = (metrics.clone(), slot.clone());
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &metrics, &slot).await {
                tracing::debug!("metrics endpoint: {e}");
            }
        });
    }
}

async fn answer(
    mut stream: TcpStream,
    metrics: &Metrics,
    slot: &ExtractorSlot,
) -> std::io::Result<()> {
    let mut request = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < MAX_REQUEST_BYTES {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            request.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, read)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "slow request"))??;
    let line = request.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(slot),
        ),
        (_, "/metrics") => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_string(),
        ),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "metrics are at /metrics\n".to_string(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_in_the_count() {
        let metrics = Metrics::new();
        for millis in [0, 3, 3, 20_000] {
            metrics.call_started(Method::Extract);
            metrics.call_handled(
                Method::Extract,
                Code::Ok,
                Duration::from_millis(millis),
                10,
                1,
            );
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
        let extract =
            "grpc_type=\"unary\",grpc_service=\"alam.v1.EntityExtractor\",grpc_method=\"Extract\"";
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
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
