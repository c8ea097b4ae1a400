//! Logs: tracing to standard error, as text or JSON lines, the level from `RUST_LOG` (`info` by
//! default; installed with the OpenTelemetry layer by `telemetry.rs`); and the line of one call
//! of the EntityExtractorService (target `alam::call`), with its request id, method, status
//! code, latency, text bytes, mention count, and trace and span ids, written by the call layer
//! (`call.rs`) next to the call's metrics.

use std::hash::{BuildHasher, RandomState};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::HeaderMap;
use tonic::Code;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

/// How log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

impl LogFormat {
    /// The names `--log-format` takes, in the order of the variants.
    pub const NAMES: [&'static str; 2] = ["text", "json"];

    /// The format of a name of [`LogFormat::NAMES`].
    pub fn from_name(name: &str) -> Option<LogFormat> {
        match name {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// The target of the calls' OpenTelemetry spans (`telemetry.rs`): kept out of the log lines,
/// whose fields already say what the span's attributes say.
pub(crate) const SPAN_TARGET: &str = "alam::rpc";

/// The layer writing log lines to standard error, as `format` says.
pub(crate) fn fmt_layer<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let without_call_spans = filter_fn(|metadata| metadata.target() != SPAN_TARGET);
    match format {
        LogFormat::Text => layer.with_filter(without_call_spans).boxed(),
        LogFormat::Json => layer
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_filter(without_call_spans)
            .boxed(),
    }
}

/// The metadata key of a request id: taken from the caller when present, so that one id
/// follows a request through every service it crosses, and returned in the response.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id taken from a caller; a longer or non-printable one is replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The caller's request id when it is usable, else a new one.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_REQUEST_ID_LEN
                && id.bytes().all(|b| b.is_ascii_graphic())
        })
        .map_or_else(new_request_id, str::to_string)
}

/// 16 hex digits, unique within the process and unlikely to repeat across processes: a counter
/// hashed with the process's random hasher keys, so no dependency on a random number crate.
fn new_request_id() -> String {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}", KEYS.get_or_init(RandomState::new).hash_one(n))
}

/// What the log line of one call says.
pub(crate) struct CallLine<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) method: &'a str,
    /// The client's address, when the transport knows it.
    pub(crate) peer: Option<SocketAddr>,
    /// The client's `user-agent`, cut to [`MAX_USER_AGENT_LEN`] characters.
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) code: Code,
    pub(crate) elapsed: Duration,
    pub(crate) text_bytes: usize,
    pub(crate) mentions: usize,
    /// The status message of a call that did not succeed.
    pub(crate) error: Option<&'a str>,
    /// The call's trace and span ids (OpenTelemetry, hex), when it is traced.
    pub(crate) trace: Option<(&'a str, &'a str)>,
}

/// The longest user agent logged.
pub(crate) const MAX_USER_AGENT_LEN: usize = 128;

/// Writes the log line of one call: at error level for a bug of ours (INTERNAL), info
/// otherwise.
pub(crate) fn log_call(line: CallLine<'_>) {
    let CallLine {
        request_id,
        method,
        peer,
        user_agent,
        code,
        elapsed,
        text_bytes,
        mentions,
        error,
        trace,
    } = line;
    let (trace_id, span_id) = (trace.map(|t| t.0), trace.map(|t| t.1));
    // To the microsecond: more digits are noise (and floating-point tails in JSON).
    let latency_ms = elapsed.as_micros() as f64 / 1000.0;
    let status = code_name(code);
    let peer = peer.map(tracing::field::display);
    match (code, error) {
        (Code::Ok, _) => tracing::info!(
            target: "alam::call", request_id, method, status, latency_ms, text_bytes, mentions,
            peer, user_agent, trace_id, span_id, "call"
        ),
        (Code::Internal, error) => tracing::error!(
            target: "alam::call", request_id, method, status, latency_ms, text_bytes, mentions,
            peer, user_agent, error, trace_id, span_id, "call"
        ),
        (_, error) => tracing::info!(
            target: "alam::call", request_id, method, status, latency_ms, text_bytes, mentions,
            peer, user_agent, error, trace_id, span_id, "call"
        ),
    }
}

/// The canonical name of a gRPC code, as other gRPC implementations log it.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_request_id_is_kept_when_usable() {
        let mut headers = HeaderMap::new();
        assert_eq!(request_id(&headers).len(), 16);
        assert_ne!(request_id(&headers), request_id(&headers));
        headers.insert(REQUEST_ID_HEADER, "req-42".parse().unwrap());
        assert_eq!(request_id(&headers), "req-42");
        headers.insert(REQUEST_ID_HEADER, "a b".parse().unwrap());
        assert_ne!(request_id(&headers), "a b");
        headers.insert(REQUEST_ID_HEADER, "x".repeat(200).parse().unwrap());
        assert_eq!(request_id(&headers).len(), 16);
    }
}
