//! Logs: tracing to standard error, as text or JSON lines, the level from `RUST_LOG` (`info` by
//! default); and one line per call of the EntityExtractor service with its method, status code,
//! latency and mention count.

use std::io::IsTerminal;
use std::time::Instant;

use tonic::Code;
use tracing_subscriber::EnvFilter;

use super::status::CallError;

/// How log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
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

/// The log line of one call, written when the call ends; a call dropped before it ends (the
/// caller cancelled, or went away) is logged as CANCELLED.
pub struct CallLog {
    method: &'static str,
    started: Instant,
    finished: bool,
}

impl CallLog {
    /// Starts timing a call of `method`.
    pub fn start(method: &'static str) -> CallLog {
        CallLog {
            method,
            started: Instant::now(),
            finished: false,
        }
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
        let latency_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let method = self.method;
        let status = code_name(code);
        match (code, message) {
            (Code::Ok, _) => {
                tracing::info!(target: "alam::call", method, status, latency_ms, mentions, "call")
            }
            (Code::Internal, error) => tracing::error!(
                target: "alam::call", method, status, latency_ms, mentions, error, "call"
            ),
            (_, error) => tracing::info!(
                target: "alam::call", method, status, latency_ms, mentions, error, "call"
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
