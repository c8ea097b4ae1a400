//! The one place where a failed call becomes a gRPC status.
//!
//! A caller's mistake is INVALID_ARGUMENT or NOT_FOUND with a message that names the limit or the
//! valid values, so that the caller can fix the request without reading the server's code; only
//! a bug of ours (a panic) is INTERNAL.

use std::fmt;
use std::time::Duration;

use tonic::{Code, Status};

use alam_engine::ExtractError;

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The gazetteers are still loading (health reports NOT_SERVING meanwhile).
    NotReady,
    /// A text longer than `--max-text-bytes`.
    TextTooLong { len: usize, max: usize },
    /// The engine refused the request (an unknown type, a text too long for it).
    Engine(ExtractError),
    /// An `offset_encoding` value the contract does not define.
    UnknownOffsetEncoding(i32),
    /// A batch of more than `--max-batch` requests.
    BatchTooLarge { len: usize, max: usize },
    /// A page token this server did not hand out.
    BadPageToken { token: String },
    /// `GetEntity` without an id.
    MissingId,
    /// No entity has this id.
    UnknownEntity { id: String },
    /// The call took longer than `--request-timeout`.
    Timeout(Duration),
    /// A stream sent no request for `--idle-timeout`.
    StreamIdle(Duration),
    /// The caller's own deadline (`grpc-timeout`) passed.
    CallerDeadline(Duration),
    /// A request that is not gRPC (its content type is not `application/grpc…`).
    NotGrpc {
        /// The content type it came with.
        content_type: String,
    },
    /// A `grpc-timeout` header that is not a gRPC timeout.
    BadGrpcTimeout {
        /// The header's value.
        value: String,
    },
    /// A unary call whose body carries a second message.
    SecondMessage,
    /// As many streams are open as `--max-streams` allows.
    TooManyStreams {
        /// The limit.
        max: usize,
    },
    /// The server is extracting as much text as `--max-inflight-bytes` allows.
    Busy {
        /// The bytes of text the call brings.
        needed: usize,
        /// The budget.
        budget: usize,
    },
    /// The caller went away before the work started; nobody reads this error.
    Abandoned,
    /// A panic while serving the call: a bug, reported as INTERNAL for this call alone.
    Panic(String),
    /// The failure of the request at this index of a batch or a stream.
    At { index: usize, error: Box<CallError> },
}

impl CallError {
    /// Places the error at request `index` of a batch or a stream.
    pub fn at(self, index: usize) -> CallError {
        CallError::At {
            index,
            error: Box::new(self),
        }
    }

    /// The gRPC code: whose fault it is, and whether retrying can help.
    pub fn code(&self) -> Code {
        match self {
            CallError::NotReady => Code::Unavailable,
            CallError::TextTooLong { .. }
            | CallError::Engine(_)
            | CallError::UnknownOffsetEncoding(_)
            | CallError::BatchTooLarge { .. }
            | CallError::BadPageToken { .. }
            | CallError::MissingId => Code::InvalidArgument,
            CallError::UnknownEntity { .. } => Code::NotFound,
            CallError::Timeout(_) | CallError::StreamIdle(_) | CallError::CallerDeadline(_) => {
                Code::DeadlineExceeded
            }
            CallError::NotGrpc { .. }
            | CallError::BadGrpcTimeout { .. }
            | CallError::SecondMessage => Code::InvalidArgument,
            CallError::TooManyStreams { .. } => Code::ResourceExhausted,
            CallError::Busy { .. } => Code::ResourceExhausted,
            CallError::Abandoned => Code::Cancelled,
            CallError::Panic(_) => Code::Internal,
            CallError::At { error, .. } => error.code(),
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::NotReady => f.write_str("the gazetteers are still loading; retry shortly"),
            CallError::TextTooLong { len, max } => write!(
                f,
                "text of {len} bytes is over the limit of {max} bytes (--max-text-bytes); \
                 split the document"
            ),
            // The type is the caller's: echoed cut, like every caller's value.
            CallError::Engine(ExtractError::UnknownType { given, valid }) => write!(
                f,
                "unknown entity type {}; valid types: {}",
                Echo(given),
                valid.join(", ")
            ),
            CallError::Engine(e) => write!(f, "{e}"),
            CallError::UnknownOffsetEncoding(value) => write!(
                f,
                "unknown offset_encoding {value}; valid: OFFSET_ENCODING_CODE_POINT (1), \
                 OFFSET_ENCODING_UTF8 (2), OFFSET_ENCODING_UTF16 (3), or unset for code points"
            ),
            CallError::BatchTooLarge { len, max } => write!(
                f,
                "batch of {len} requests is over the limit of {max} (--max-batch); \
                 split the batch or use ExtractStream"
            ),
            CallError::BadPageToken { token } => write!(
                f,
                "page_token {} is not one this server handed out; pass the \
                 next_page_token of the previous page, or an empty token for the first page",
                Echo(token)
            ),
            CallError::MissingId => {
                f.write_str("id is empty; pass an entity id such as \"country:KZ\"")
            }
            CallError::UnknownEntity { id } => write!(f, "no entity has the id {}", Echo(id)),
            CallError::Timeout(limit) => write!(
                f,
                "the call took longer than the server's limit of {:.3} s (--request-timeout)",
                limit.as_secs_f64()
            ),
            CallError::StreamIdle(limit) => write!(
                f,
                "the stream sent no request for {:.0} s (--idle-timeout); open a new one when \
                 there is more to send",
                limit.as_secs_f64()
            ),
            CallError::CallerDeadline(limit) => write!(
                f,
                "the caller's deadline of {:.3} s (grpc-timeout) passed",
                limit.as_secs_f64()
            ),
            CallError::NotGrpc { content_type } => write!(
                f,
                "content-type {} is not gRPC: send application/grpc",
                Echo(content_type)
            ),
            CallError::BadGrpcTimeout { value } => write!(
                f,
                "grpc-timeout {} is not a gRPC timeout: 1 to 8 digits and a unit (H, M, S, m, \
                 u, n), such as 500m",
                Echo(value)
            ),
            CallError::SecondMessage => f.write_str(
                "a unary call carries one message; this one has more: send one, or use \
                 ExtractBatch or ExtractStream for several",
            ),
            CallError::TooManyStreams { max } => write!(
                f,
                "{max} streams are open, the server's limit (--max-streams); close one, or \
                 send more requests on the ones open"
            ),
            CallError::Busy { needed, budget } => write!(
                f,
                "the server is extracting as much text as it may at once ({budget} bytes, \
                 --max-inflight-bytes); this call's {needed} bytes must wait: retry with backoff"
            ),
            CallError::Abandoned => f.write_str("the caller went away before the work started"),
            CallError::Panic(_) => f.write_str("internal error while serving the call (logged)"),
            CallError::At { index, error } => write!(f, "request #{index}: {error}"),
        }
    }
}

/// The messages with which tonic and prost (0.14) report a request they could not decode: a
/// wrong wire type, invalid UTF-8 in a string field, a truncated message, a unary call with no
/// message, a bad compression flag or compressed data.
const UNDECODABLE: [&str; 5] = [
    "failed to decode Protobuf message",
    "Missing request message",
    "protocol error:",
    "Unexpected EOF decoding stream",
    "Error decompressing",
];

/// A status as the caller should get it. tonic and prost answer INTERNAL for a request they
/// cannot decode, as gRPC's status guide says; here INTERNAL means a bug of ours, and an
/// undecodable request is the caller's mistake: INVALID_ARGUMENT, saying so.
pub(crate) fn for_caller(status: Status) -> Status {
    if status.code() == Code::Internal
        && UNDECODABLE.iter().any(|m| status.message().starts_with(m))
    {
        return Status::invalid_argument(format!(
            "the request could not be decoded as the method's message: {}",
            status.message()
        ));
    }
    status
}

/// A caller's value quoted in a message: escaped, and cut after [`Echo::MAX_CHARS`] characters,
/// so that a huge or hostile value cannot bloat a status (whose trailers have a size limit) or a
/// log line.
pub(crate) struct Echo<'a>(pub(crate) &'a str);

impl Echo<'_> {
    /// The most characters of a caller's value quoted.
    pub(crate) const MAX_CHARS: usize = 64;
}

impl fmt::Display for Echo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(Echo::MAX_CHARS) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}… ({} bytes in all)", &self.0[..cut], self.0.len()),
        }
    }
}

impl From<CallError> for Status {
    fn from(error: CallError) -> Status {
        Status::new(error.code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_mistake_is_never_internal() {
        let mistakes = [
            CallError::TextTooLong { len: 2, max: 1 },
            CallError::Engine(ExtractError::UnknownType {
                given: "planet".into(),
                valid: vec!["city".into()],
            }),
            CallError::UnknownOffsetEncoding(9),
            CallError::BatchTooLarge { len: 2, max: 1 },
            CallError::BadPageToken { token: "x".into() },
            CallError::MissingId,
            CallError::UnknownEntity { id: "x:y".into() },
        ];
        for mistake in mistakes {
            assert_ne!(mistake.code(), Code::Internal, "{mistake}");
            assert_ne!(mistake.at(3).code(), Code::Internal);
        }
    }

    #[test]
    fn a_callers_value_is_echoed_cut_and_escaped() {
        let id = "\u{7}".repeat(100_000);
        let message = CallError::UnknownEntity { id }.to_string();
        assert!(message.len() < 600, "{} bytes", message.len());
        assert!(message.contains("\\u{7}"), "{message}");
        assert!(message.ends_with("(100000 bytes in all)"), "{message}");
        let short = CallError::UnknownEntity { id: "x:y".into() }.to_string();
        assert_eq!(short, "no entity has the id \"x:y\"");
    }

    #[test]
    fn an_undecodable_request_is_the_callers_mistake() {
        let decoded = for_caller(Status::internal(
            "failed to decode Protobuf message: ExtractRequest.text: invalid string value: data is not UTF-8 encoded",
        ));
        assert_eq!(decoded.code(), Code::InvalidArgument);
        assert!(
            decoded.message().contains("not UTF-8"),
            "{}",
            decoded.message()
        );
        let ours = for_caller(Status::from(CallError::Panic("bug".into())));
        assert_eq!(ours.code(), Code::Internal);
    }

    #[test]
    fn messages_name_the_limit() {
        let status = Status::from(CallError::BatchTooLarge { len: 5, max: 3 }.at(0));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("--max-batch"),
            "{}",
            status.message()
        );
    }
}
