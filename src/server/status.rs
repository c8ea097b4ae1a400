//! The one place where a failed call becomes a gRPC status.
//!
//! A caller's mistake is INVALID_ARGUMENT or NOT_FOUND with a message that names the limit or the
//! valid values, so that the caller can fix the request without reading the server's code; only
//! a bug of ours (a panic) is INTERNAL. Every status carries google.rpc details for programs:
//! an `ErrorInfo` with a stable reason (the table in the proto's service comment), a
//! `BadRequest` naming the field to fix, a `RetryInfo` when retrying later can help.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use alam_engine::ExtractError;

/// The domain of the reasons in `ErrorInfo`.
pub const ERROR_DOMAIN: &str = "alam.v1";

/// How long a caller should wait before retrying while the gazetteers load or the server is
/// busy.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Why a page token was refused.
#[derive(Debug)]
pub enum PageTokenProblem {
    /// It is not a token this server hands out.
    NotHandedOut,
    /// It was handed out for another `entity_type`.
    OtherFilter {
        handed_out_for: String,
        used_with: String,
    },
    /// The gazetteers were reloaded with other data since it was handed out.
    GazetteersChanged { handed_out_for: String, now: String },
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The gazetteers are still loading (health reports NOT_SERVING meanwhile).
    NotReady,
    /// A text longer than `--max-text-bytes`.
    TextTooLong { len: usize, max: usize },
    /// The engine refused the request (an unknown type, a text too long for it).
    Engine(ExtractError),
    /// `ListEntities` for a type the gazetteers do not have.
    UnknownListedType(ExtractError),
    /// An `offset_encoding` value the contract does not define.
    UnknownOffsetEncoding(i32),
    /// A batch of more than `--max-batch` requests.
    BatchTooLarge { len: usize, max: usize },
    /// A page token this server did not hand out for this list.
    BadPageToken {
        token: String,
        problem: PageTokenProblem,
    },
    /// A negative `page_size`.
    NegativePageSize(i32),
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
    /// A request that is not the method's message (tonic's or prost's words).
    Undecodable(String),
    /// A message over `--max-message-bytes`, as sent or once decompressed (tonic's words).
    MessageTooLarge(String),
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
            | CallError::UnknownListedType(_)
            | CallError::UnknownOffsetEncoding(_)
            | CallError::BatchTooLarge { .. }
            | CallError::BadPageToken { .. }
            | CallError::NegativePageSize(_)
            | CallError::Undecodable(_)
            | CallError::MissingId => Code::InvalidArgument,
            CallError::UnknownEntity { .. } => Code::NotFound,
            CallError::Timeout(_) | CallError::StreamIdle(_) | CallError::CallerDeadline(_) => {
                Code::DeadlineExceeded
            }
            CallError::NotGrpc { .. }
            | CallError::BadGrpcTimeout { .. }
            | CallError::SecondMessage => Code::InvalidArgument,
            CallError::TooManyStreams { .. }
            | CallError::Busy { .. }
            | CallError::MessageTooLarge(_) => Code::ResourceExhausted,
            CallError::Abandoned => Code::Cancelled,
            CallError::Panic(_) => Code::Internal,
            CallError::At { error, .. } => error.code(),
        }
    }

    /// The stable reason of `ErrorInfo`, one per kind of failure (documented in the proto).
    pub fn reason(&self) -> &'static str {
        match self {
            CallError::NotReady => "GAZETTEERS_LOADING",
            CallError::TextTooLong { .. } | CallError::Engine(ExtractError::TextTooLong { .. }) => {
                "TEXT_TOO_LONG"
            }
            CallError::Engine(_) | CallError::UnknownListedType(_) => "UNKNOWN_ENTITY_TYPE",
            CallError::UnknownOffsetEncoding(_) => "UNKNOWN_OFFSET_ENCODING",
            CallError::BatchTooLarge { .. } => "BATCH_TOO_LARGE",
            CallError::BadPageToken { .. } => "INVALID_PAGE_TOKEN",
            CallError::NegativePageSize(_) => "INVALID_PAGE_SIZE",
            CallError::MissingId => "MISSING_ID",
            CallError::UnknownEntity { .. } => "ENTITY_NOT_FOUND",
            CallError::Timeout(_) => "REQUEST_TIMEOUT",
            CallError::StreamIdle(_) => "STREAM_IDLE",
            CallError::CallerDeadline(_) => "CALLER_DEADLINE",
            CallError::NotGrpc { .. } => "NOT_GRPC",
            CallError::BadGrpcTimeout { .. } => "INVALID_GRPC_TIMEOUT",
            CallError::SecondMessage => "MORE_THAN_ONE_MESSAGE",
            CallError::TooManyStreams { .. } => "TOO_MANY_STREAMS",
            CallError::Busy { .. } => "SERVER_BUSY",
            CallError::Abandoned => "CALLER_GONE",
            CallError::Panic(_) => "INTERNAL_ERROR",
            CallError::Undecodable(_) => "UNDECODABLE_REQUEST",
            CallError::MessageTooLarge(_) => "MESSAGE_TOO_LARGE",
            CallError::At { error, .. } => error.reason(),
        }
    }

    /// The request field to fix, as a path in the request ("text", "entity_types"), if one is
    /// at fault.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CallError::TextTooLong { .. } | CallError::Engine(ExtractError::TextTooLong { .. }) => {
                Some("text")
            }
            CallError::Engine(_) => Some("entity_types"),
            CallError::UnknownListedType(_) => Some("entity_type"),
            CallError::UnknownOffsetEncoding(_) => Some("offset_encoding"),
            CallError::BatchTooLarge { .. } => Some("requests"),
            CallError::BadPageToken { .. } => Some("page_token"),
            CallError::NegativePageSize(_) => Some("page_size"),
            CallError::MissingId => Some("id"),
            CallError::At { error, .. } => error.field(),
            _ => None,
        }
    }

    /// Facts for programs in `ErrorInfo`'s metadata: the limit, the valid values, the index of
    /// the request of a stream.
    fn metadata(&self) -> HashMap<String, String> {
        let pairs: Vec<(&str, String)> = match self {
            CallError::TextTooLong { len, max } => vec![
                ("text_bytes", len.to_string()),
                ("max_text_bytes", max.to_string()),
            ],
            CallError::Engine(ExtractError::UnknownType { valid, .. })
            | CallError::UnknownListedType(ExtractError::UnknownType { valid, .. }) => {
                vec![("valid_entity_types", valid.join(","))]
            }
            CallError::BatchTooLarge { len, max } => vec![
                ("batch_size", len.to_string()),
                ("max_batch", max.to_string()),
            ],
            CallError::TooManyStreams { max } => vec![("max_streams", max.to_string())],
            CallError::Busy { needed, budget } => vec![
                ("text_bytes", needed.to_string()),
                ("max_inflight_bytes", budget.to_string()),
            ],
            CallError::At { index, error } => {
                let mut inner = error.metadata();
                inner.insert("request_index".into(), index.to_string());
                return inner;
            }
            _ => Vec::new(),
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The google.rpc details of the error, the field named by `field_path`.
    fn details(&self, field_path: Option<String>) -> ErrorDetails {
        let mut details = ErrorDetails::new();
        details.set_error_info(self.reason(), ERROR_DOMAIN, self.metadata());
        if let Some(path) = field_path {
            details.add_bad_request_violation(path, self.innermost().to_string());
        }
        if matches!(
            self.innermost(),
            CallError::NotReady | CallError::Busy { .. }
        ) {
            details.set_retry_info(Some(RETRY_DELAY));
        }
        details
    }

    /// The error itself, without the place in a batch or stream.
    fn innermost(&self) -> &CallError {
        match self {
            CallError::At { error, .. } => error.innermost(),
            other => other,
        }
    }

    /// The status of request `index` of a batch, as its result carries it: the field named
    /// within the batch ("requests[3].text").
    pub fn batch_item_status(self, index: usize) -> tonic_types::pb::Status {
        let path = self
            .field()
            .map(|field| format!("requests[{index}].{field}"));
        let details = self.details(path);
        let status = Status::with_error_details(self.code(), self.to_string(), details);
        prost::Message::decode(status.details()).unwrap_or_else(|_| tonic_types::pb::Status {
            code: status.code() as i32,
            message: status.message().to_string(),
            details: Vec::new(),
        })
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
            CallError::UnknownListedType(ExtractError::UnknownType { given, valid }) => write!(
                f,
                "unknown entity_type {}; valid types: {}",
                Echo(given),
                valid.join(", ")
            ),
            CallError::Engine(e) | CallError::UnknownListedType(e) => write!(f, "{e}"),
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
            CallError::BadPageToken { token, problem } => match problem {
                PageTokenProblem::NotHandedOut => write!(
                    f,
                    "page_token {} is not one this server handed out; pass the \
                     next_page_token of the previous page, or an empty token for the first page",
                    Echo(token)
                ),
                PageTokenProblem::OtherFilter {
                    handed_out_for,
                    used_with,
                } => write!(
                    f,
                    "page_token was handed out for entity_type {}, not {}; pass the same \
                     entity_type as for the previous page, or an empty token to start over",
                    Echo(handed_out_for),
                    Echo(used_with)
                ),
                PageTokenProblem::GazetteersChanged {
                    handed_out_for,
                    now,
                } => write!(
                    f,
                    "the gazetteers were reloaded since page_token was handed out (version {}, \
                     now {}), so the pages moved; start over with an empty page_token",
                    Echo(handed_out_for),
                    Echo(now)
                ),
            },
            CallError::NegativePageSize(size) => write!(
                f,
                "page_size {size} is negative; pass 0 for the default of 100, or up to 1000"
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
            CallError::Undecodable(why) => write!(
                f,
                "the request could not be decoded as the method's message: {why}"
            ),
            CallError::MessageTooLarge(why) => write!(
                f,
                "the message is over the server's limit (--max-message-bytes): {why}; send \
                 shorter texts, or split the batch"
            ),
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

/// The messages with which tonic (0.14) refuses a message over the size limit: as sent
/// (OUT_OF_RANGE), or once decompressed (RESOURCE_EXHAUSTED).
const TOO_LARGE: [&str; 2] = [
    "Error, decoded message length too large",
    "Error decompressing: size limit",
];

/// A status of tonic's own as the caller should get it, or `None` when it stands as it is.
/// tonic and prost answer INTERNAL for a request they cannot decode, as gRPC's status guide
/// says; here INTERNAL means a bug of ours, and an undecodable request is the caller's mistake:
/// INVALID_ARGUMENT. A message over the limit is RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE
/// when it is not compressed). Both get their reason, like every error of ours.
pub(crate) fn for_caller(status: &Status) -> Option<Status> {
    let message = status.message();
    let error = match status.code() {
        Code::Internal if UNDECODABLE.iter().any(|m| message.starts_with(m)) => {
            CallError::Undecodable(message.to_string())
        }
        Code::OutOfRange | Code::ResourceExhausted
            if TOO_LARGE.iter().any(|m| message.starts_with(m)) =>
        {
            CallError::MessageTooLarge(message.to_string())
        }
        _ => return None,
    };
    Some(error.into())
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
        if matches!(error, CallError::Abandoned) {
            // Nobody is there to read it.
            return Status::new(error.code(), error.to_string());
        }
        let details = error.details(error.field().map(str::to_string));
        Status::with_error_details(error.code(), error.to_string(), details)
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
            CallError::BadPageToken {
                token: "x".into(),
                problem: PageTokenProblem::NotHandedOut,
            },
            CallError::NegativePageSize(-1),
            CallError::Undecodable("x".into()),
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
        let decoded = for_caller(&Status::internal(
            "failed to decode Protobuf message: ExtractRequest.text: invalid string value: data is not UTF-8 encoded",
        ))
        .unwrap();
        assert_eq!(decoded.code(), Code::InvalidArgument);
        assert!(
            decoded.message().contains("not UTF-8"),
            "{}",
            decoded.message()
        );
        let reason = decoded
            .get_error_details()
            .error_info()
            .unwrap()
            .reason
            .clone();
        assert_eq!(reason, "UNDECODABLE_REQUEST");
        assert!(for_caller(&Status::from(CallError::Panic("bug".into()))).is_none());
    }

    #[test]
    fn a_message_over_the_limit_is_resource_exhausted() {
        for tonics in [
            Status::out_of_range(
                "Error, decoded message length too large: found 9 bytes, the limit is: 4 bytes",
            ),
            Status::resource_exhausted(
                "Error decompressing: size limit, of 4 bytes, exceeded while decompressing message",
            ),
        ] {
            let status = for_caller(&tonics).unwrap();
            assert_eq!(status.code(), Code::ResourceExhausted);
            assert!(
                status.message().contains("--max-message-bytes"),
                "{}",
                status.message()
            );
            let info = status.get_error_details().error_info().cloned().unwrap();
            assert_eq!(info.reason, "MESSAGE_TOO_LARGE");
        }
        assert!(for_caller(&Status::out_of_range("something else")).is_none());
    }

    #[test]
    fn details_name_the_reason_the_field_and_when_to_retry() {
        let status = Status::from(CallError::TextTooLong { len: 9, max: 4 }.at(3));
        let details = status.get_error_details();
        let info = details.error_info().unwrap();
        assert_eq!(info.reason, "TEXT_TOO_LONG");
        assert_eq!(info.domain, ERROR_DOMAIN);
        assert_eq!(info.metadata["request_index"], "3");
        assert_eq!(info.metadata["max_text_bytes"], "4");
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, "text");
        assert!(details.retry_info().is_none());

        let loading = Status::from(CallError::NotReady).get_error_details();
        assert_eq!(loading.retry_info().unwrap().retry_delay, Some(RETRY_DELAY));
        assert!(loading.bad_request().is_none());
    }

    #[test]
    fn a_batch_item_names_its_field_within_the_batch() {
        let item = CallError::Engine(ExtractError::UnknownType {
            given: "planet".into(),
            valid: vec!["city".into()],
        })
        .batch_item_status(2);
        assert_eq!(item.code, Code::InvalidArgument as i32);
        let details = tonic_types::RpcStatusExt::get_error_details(&item);
        let violations = &details.bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, "requests[2].entity_types");
        assert_eq!(details.error_info().unwrap().reason, "UNKNOWN_ENTITY_TYPE");
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
