//! Logs: tracing to standard error, as text or JSON lines, the level from `RUST_LOG` (`info` by
//! default); and one line per call of the EntityExtractor service with its request id, method,
//! status code, latency, text bytes and mention count. The same place counts the call's metrics,
//! so that logs and metrics never disagree about a call.

use std::hash::{BuildHasher, RandomState};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tonic::Code;
use tonic::metadata::MetadataMap;
use tracing_subscriber::EnvFilter;

use super::metrics::{Method, Metrics};
use super::status::CallError;

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

/// Installs the global subscriber; a second call (tests) leaves the first in place.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The metadata key of a request id: taken from the caller when present, so that one id
/// follows a request through every service it crosses, and returned in the response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id taken from a caller; a longer or non-printable one is replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The caller's request id when it is usable, else a new one.
pub fn request_id(metadata: &MetadataMap) -> String {
    metadata
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

/// One call: its log line and its metrics, written when the call ends. A call dropped before it
/// ends (the caller cancelled, or went away) is logged and counted as CANCELLED.
pub struct CallLog {
    metrics: Arc<Metrics>,
    method: Method,
    request_id: String,
    started: Instant,
    text_bytes: usize,
    finished: bool,
}

impl CallLog {
    /// Starts timing a call of `method` whose request carries `metadata`.
    pub fn start(metrics: &Arc<Metrics>, method: Method, metadata: &MetadataMap) -> CallLog {
        metrics.call_started(method);
        CallLog {
            metrics: metrics.clone(),
            method,
            request_id: request_id(metadata),
            started: Instant::now(),
            text_bytes: 0,
            finished: false,
        }
    }

    /// The call's request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Counts `bytes` more bytes of text received by the call.
    pub fn add_text_bytes(&mut self, bytes: usize) {
        self.text_bytes += bytes;
    }

    /// Logs the call's outcome: the number of mentions it returned, or its error.
    pub fn finish(&mut self, outcome: Result<usize, &CallError>) {
        match outcome {
            Ok(mentions) => self.write(Code::Ok, mentions, None),
            Err(error) => self.write(error.code(), 0, Some(&error.to_string())),
        }
    }

    /// Logs a call that failed outside the service (the caller's stream broke, say).
    pub fn finish_with(&mut self, code: Code, mentions: usize, message: &str) {
        self.write(code, mentions, Some(message));
    }

    fn write(&mut self, code: Code, mentions: usize, message: Option<&str>) {
        self.finished = true;
        let elapsed = self.started.elapsed();
        self.metrics
            .call_handled(self.method, code, elapsed, self.text_bytes, mentions);
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let method = self.method.name();
        let status = code_name(code);
        let (request_id, text_bytes) = (self.request_id.as_str(), self.text_bytes);
        match (code, message) {
            (Code::Ok, _) => tracing::info!(
                target: "alam::call", request_id, method, status, latency_ms, text_bytes, mentions,
                "call"
            ),
            (Code::Internal, error) => tracing::error!(
                target: "alam::call", request_id, method, status, latency_ms, text_bytes, mentions,
                error, "call"
            ),
            (_, error) => tracing::info!(
                target: "alam::call", request_id, method, status, latency_ms, text_bytes, mentions,
                error, "call"
            ),
        }
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        if !self.finished {
            self.write(Code::Cancelled, 0, Some("the call ended before its answer"));
        }
    }
}

/// The canonical name of a gRPC code, as other gRPC implementations log it.
pub fn code_name(code: Code) -> &'static str {
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
        let mut metadata = MetadataMap::new();
        assert_eq!(request_id(&metadata).len(), 16);
        assert_ne!(request_id(&metadata), request_id(&metadata));
        metadata.insert(REQUEST_ID_HEADER, "req-42".parse().unwrap());
        assert_eq!(request_id(&metadata), "req-42");
        metadata.insert(REQUEST_ID_HEADER, "a b".parse().unwrap());
        assert_ne!(request_id(&metadata), "a b");
        metadata.insert(REQUEST_ID_HEADER, "x".repeat(200).parse().unwrap());
        assert_eq!(request_id(&metadata).len(), 16);
    }
}
