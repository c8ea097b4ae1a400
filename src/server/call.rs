//! The per-call concerns of `alam.v1.EntityExtractorService` as one tower layer around its service:
//! the request id (the caller's `x-request-id` when usable, else a new one, returned in the
//! response headers), the call's log line and metrics (written in one place, so that they never
//! disagree), the in-flight count, and the request timeout of a unary call.
//!
//! The method comes from the gRPC path, the outcome from the `grpc-status` the service sends:
//! in the response headers for an error answered at once, in the trailers otherwise, so a
//! streamed call is logged when its stream ends. A call whose response is dropped before its
//! status (the caller went away) is logged and counted as CANCELLED. Handlers see none of this;
//! they add what only they know, the text bytes received and the mentions returned, to the
//! call's [`CallRecord`].

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderValue};
use http_body::{Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::{Code, Status};
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::logging::{
    CallLine, MAX_USER_AGENT_LEN, REQUEST_ID_HEADER, SPAN_TARGET, log_call, request_id,
};
use super::metrics::{Method, Metrics};
use super::status::{self, CallError};
use super::telemetry;
use crate::proto::entity_extractor_service_server::SERVICE_NAME;

/// What a handler adds to its call's log line and metrics.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    text_bytes: AtomicUsize,
    mentions: AtomicUsize,
}

impl CallRecord {
    /// The record of the call `request` belongs to (a detached one outside the layer, so that a
    /// handler never has to care).
    pub(crate) fn of<T>(request: &tonic::Request<T>) -> Arc<CallRecord> {
        request
            .extensions()
            .get::<Arc<CallRecord>>()
            .cloned()
            .unwrap_or_default()
    }

    /// Counts `bytes` more bytes of text received.
    pub(crate) fn add_text_bytes(&self, bytes: usize) {
        self.text_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts `mentions` more mentions returned.
    pub(crate) fn add_mentions(&self, mentions: usize) {
        self.mentions.fetch_add(mentions, Ordering::Relaxed);
    }
}

/// The layer: wraps the service so that every call is admitted, timed, logged and counted.
#[derive(Clone)]
pub(crate) struct CallLayer {
    metrics: Arc<Metrics>,
    unary_timeout: Option<Duration>,
    /// The streams that may be open at once, server-wide, and their count.
    streams: Arc<Semaphore>,
    max_streams: usize,
}

impl CallLayer {
    /// Counts calls in `metrics`; a unary call over `unary_timeout` (or over the caller's own
    /// `grpc-timeout`, if shorter) ends DEADLINE_EXCEEDED; more than `max_streams` streams open
    /// at once are RESOURCE_EXHAUSTED.
    pub(crate) fn new(
        metrics: Arc<Metrics>,
        unary_timeout: Option<Duration>,
        max_streams: usize,
    ) -> CallLayer {
        CallLayer {
            metrics,
            unary_timeout,
            streams: Arc::new(Semaphore::new(max_streams)),
            max_streams,
        }
    }

    /// Whether a call may start: a gRPC content type, a well-formed `grpc-timeout`, room for a
    /// stream. Gives the call's limit and, for a stream, its place among the open ones.
    fn admit(
        &self,
        method: Method,
        headers: &HeaderMap,
    ) -> Result<(Option<Deadline>, Option<OwnedSemaphorePermit>), CallError> {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let grpc = content_type == "application/grpc"
            || content_type.starts_with("application/grpc+")
            || content_type.starts_with("application/grpc;");
        if !grpc {
            return Err(CallError::NotGrpc {
                content_type: content_type.to_string(),
            });
        }
        let callers = match headers.get("grpc-timeout") {
            None => None,
            Some(value) => Some(
                grpc_timeout(value).ok_or_else(|| CallError::BadGrpcTimeout {
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })?,
            ),
        };
        if method.grpc_type() != "unary" {
            let permit = self.streams.clone().try_acquire_owned().map_err(|_| {
                CallError::TooManyStreams {
                    max: self.max_streams,
                }
            })?;
            return Ok((None, Some(permit)));
        }
        let deadline = match (self.unary_timeout, callers) {
            (Some(ours), Some(theirs)) if theirs < ours => Some(Deadline::Callers(theirs)),
            (Some(ours), _) => Some(Deadline::Ours(ours)),
            (None, Some(theirs)) => Some(Deadline::Callers(theirs)),
            (None, None) => None,
        };
        Ok((deadline, None))
    }
}

/// The limit of a unary call: the server's `--request-timeout`, or the caller's shorter
/// `grpc-timeout`.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    Ours(Duration),
    Callers(Duration),
}

impl Deadline {
    fn duration(self) -> Duration {
        match self {
            Deadline::Ours(d) | Deadline::Callers(d) => d,
        }
    }

    fn passed(self) -> CallError {
        match self {
            Deadline::Ours(limit) => CallError::Timeout(limit),
            Deadline::Callers(limit) => CallError::CallerDeadline(limit),
        }
    }
}

/// A `grpc-timeout` value: 1 to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
fn grpc_timeout(value: &HeaderValue) -> Option<Duration> {
    let value = value.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

impl<S> Layer<S> for CallLayer {
    type Service = CallService<S>;

    fn layer(&self, inner: S) -> CallService<S> {
        CallService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The wrapped service.
#[derive(Clone)]
pub(crate) struct CallService<S> {
    inner: S,
    layer: CallLayer,
}

impl<S: NamedService> NamedService for CallService<S> {
    const NAME: &'static str = S::NAME;
}

/// The future of a tower service of the server's layers.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for CallService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let Some(method) = Method::from_path(request.uri().path()) else {
            // Not a method of the contract: tonic answers UNIMPLEMENTED; nothing to count.
            return Box::pin(self.inner.call(request));
        };
        let record = Arc::new(CallRecord::default());
        request.extensions_mut().insert(record.clone());
        let mut call = Call::start(&self.layer.metrics, method, &request, record);
        let (deadline, stream_place) = match self.layer.admit(method, request.headers()) {
            Ok(admitted) => admitted,
            Err(refused) => {
                let unsupported = matches!(refused, CallError::NotGrpc { .. });
                let status = Status::from(refused);
                call.finish(&status);
                let mut response = status.into_http();
                if unsupported {
                    // What the gRPC protocol asks of a server for a request that is not gRPC.
                    *response.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
                }
                call.add_request_id(&mut response);
                return Box::pin(std::future::ready(Ok(response)));
            }
        };
        call.stream_place = stream_place;
        let (metrics, unary) = (self.layer.metrics.clone(), method.grpc_type() == "unary");
        request = request.map(|inner| {
            Body::new(RequestBody {
                inner,
                messages: Messages::default(),
                received: 0,
                most: unary.then_some(1),
                metrics,
                method,
            })
        });
        // The handler's work, and whatever it logs, belongs to the call's span.
        let answer = self.inner.call(request).instrument(call.span.clone());
        Box::pin(async move {
            let mut response = match deadline {
                Some(deadline) => match tokio::time::timeout(deadline.duration(), answer).await {
                    Ok(response) => response?,
                    Err(_) => Status::from(deadline.passed()).into_http(),
                },
                None => answer.await?,
            };
            // An error answered at once carries its status in the headers ("trailers only").
            if let Some(mut status) = Status::from_header_map(response.headers()) {
                if let Some(ours) = status::for_caller(&status) {
                    response = ours.clone().into_http();
                    status = ours;
                }
                call.finish(&status);
            }
            call.add_request_id(&mut response);
            if call.finished {
                return Ok(response);
            }
            Ok(response.map(|body| {
                Body::new(LoggedBody {
                    inner: body,
                    call: Some(call),
                    messages: Messages::default(),
                })
            }))
        })
    }
}

/// Follows gRPC's length-prefixed messages (a flag byte, a 4-byte length, the message) through
/// the data frames of a body, as they come.
#[derive(Debug, Default)]
struct Messages {
    /// The bytes of the current message's 5-byte prefix seen so far, and the prefix.
    prefix_seen: usize,
    prefix: [u8; 5],
    /// The bytes of the current message still to come.
    payload_left: usize,
}

impl Messages {
    /// How many messages begin in `data`.
    fn follow(&mut self, mut data: &[u8]) -> usize {
        let mut begun = 0;
        while !data.is_empty() {
            if self.payload_left > 0 {
                let skipped = self.payload_left.min(data.len());
                self.payload_left -= skipped;
                data = &data[skipped..];
                continue;
            }
            if self.prefix_seen == 0 {
                begun += 1;
            }
            let taken = (5 - self.prefix_seen).min(data.len());
            self.prefix[self.prefix_seen..self.prefix_seen + taken].copy_from_slice(&data[..taken]);
            self.prefix_seen += taken;
            data = &data[taken..];
            if self.prefix_seen == 5 {
                let [_, a, b, c, d] = self.prefix;
                self.payload_left = u32::from_be_bytes([a, b, c, d]) as usize;
                self.prefix_seen = 0;
            }
        }
        begun
    }
}

/// A call's request body: its messages counted as they arrive (`grpc_server_msg_received_total`)
/// and, for a unary call, failing when a second one begins — a unary call carries one message,
/// and tonic would read the first and silently drop the rest.
struct RequestBody {
    inner: Body,
    messages: Messages,
    received: usize,
    /// The most messages the call may carry.
    most: Option<usize>,
    metrics: Arc<Metrics>,
    method: Method,
}

impl http_body::Body for RequestBody {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &polled
            && let Some(data) = frame.data_ref()
        {
            let begun = self.messages.follow(data);
            self.received += begun;
            if self.most.is_some_and(|most| self.received > most) {
                return Poll::Ready(Some(Err(Status::from(CallError::SecondMessage))));
            }
            self.metrics.messages_received(self.method, begun);
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One call in progress: logged and counted once, when its status is known or when it is
/// dropped without one.
struct Call {
    metrics: Arc<Metrics>,
    method: Method,
    request_id: String,
    started: Instant,
    record: Arc<CallRecord>,
    /// Who called: the client's address and user agent, for the log line.
    peer: Option<SocketAddr>,
    user_agent: Option<String>,
    finished: bool,
    /// A stream's place among the open ones, given back when the call ends.
    stream_place: Option<OwnedSemaphorePermit>,
    /// The call's OpenTelemetry server span, a child of the caller's when it sent one.
    span: tracing::Span,
}

impl Call {
    fn start(
        metrics: &Arc<Metrics>,
        method: Method,
        request: &http::Request<Body>,
        record: Arc<CallRecord>,
    ) -> Call {
        metrics.call_started(method);
        let extensions = request.extensions();
        let peer = extensions
            .get::<TcpConnectInfo>()
            .or_else(|| {
                extensions
                    .get::<TlsConnectInfo<TcpConnectInfo>>()
                    .map(TlsConnectInfo::get_ref)
            })
            .and_then(TcpConnectInfo::remote_addr);
        let user_agent = request
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|agent| agent.chars().take(MAX_USER_AGENT_LEN).collect());
        let request_id = request_id(request.headers());
        let span = tracing::info_span!(
            target: SPAN_TARGET,
            "rpc",
            otel.name = format!("{SERVICE_NAME}/{}", method.name()),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = SERVICE_NAME,
            rpc.method = method.name(),
            rpc.grpc.status_code = tracing::field::Empty,
            network.peer.address = peer.map(|p| tracing::field::display(p.ip())),
            network.peer.port = peer.map(|p| p.port()),
            request_id = request_id.as_str(),
        );
        // Without a tracing layer (a library user's own subscriber) there is no parent to set.
        let _ = span.set_parent(telemetry::callers_context(request.headers()));
        Call {
            metrics: metrics.clone(),
            method,
            request_id,
            started: Instant::now(),
            record,
            peer,
            user_agent,
            finished: false,
            stream_place: None,
            span,
        }
    }

    /// Returns the call's request id in the response headers.
    fn add_request_id(&self, response: &mut http::Response<Body>) {
        if let Ok(id) = HeaderValue::from_str(&self.request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
    }

    fn finish(&mut self, status: &Status) {
        self.write(status.code(), status.message());
    }

    fn write(&mut self, code: Code, message: &str) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.stream_place = None;
        let elapsed = self.started.elapsed();
        let text_bytes = self.record.text_bytes.load(Ordering::Relaxed);
        let mentions = self.record.mentions.load(Ordering::Relaxed);
        self.metrics
            .call_handled(self.method, code, elapsed, text_bytes, mentions);
        self.span.record("rpc.grpc.status_code", code as i64);
        if server_fault(code) {
            self.span.record("otel.status_code", "ERROR");
        }
        let _in_span = self.span.enter();
        let ids = telemetry::ids(&self.span);
        let error = (code != Code::Ok).then_some(message);
        log_call(CallLine {
            request_id: &self.request_id,
            method: self.method.name(),
            peer: self.peer,
            user_agent: self.user_agent.as_deref(),
            code,
            elapsed,
            text_bytes,
            mentions,
            error,
            trace: ids.as_ref().map(|(t, s)| (t.as_str(), s.as_str())),
        });
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.write(Code::Cancelled, "the call ended before its answer");
    }
}

/// A response body that counts its messages (`grpc_server_msg_sent_total`) and finishes its
/// call when the status goes by in the trailers.
struct LoggedBody {
    inner: Body,
    call: Option<Call>,
    messages: Messages,
}

impl http_body::Body for LoggedBody {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let this = &mut *self;
                    let sent = this.messages.follow(data);
                    if let Some(call) = &this.call {
                        call.metrics.messages_sent(call.method, sent);
                    }
                }
                if let Some(trailers) = frame.trailers_ref() {
                    self.finish(&status_of(trailers));
                }
            }
            Poll::Ready(Some(Err(status))) => self.finish(status),
            // The body ended without trailers: tonic always sends them, so this is a transport
            // failure, counted as such.
            Poll::Ready(None) => self.finish(&Status::unknown("the answer ended without a status")),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl LoggedBody {
    fn finish(&mut self, status: &Status) {
        if let Some(mut call) = self.call.take() {
            call.finish(status);
        }
    }
}

/// Whether a code is the server's fault, which marks a server span as an error (OpenTelemetry's
/// semantic conventions for gRPC; a caller's mistake leaves the server span unset).
fn server_fault(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// The status trailers carry; trailers without one are a broken answer.
fn status_of(trailers: &HeaderMap) -> Status {
    Status::from_header_map(trailers)
        .unwrap_or_else(|| Status::unknown("the answer's trailers carry no status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service that never answers, as a call stuck past any limit.
    #[derive(Clone)]
    struct Never;

    impl Service<http::Request<Body>> for Never {
        type Response = http::Response<Body>;
        type Error = std::convert::Infallible;
        type Future = std::future::Pending<Result<http::Response<Body>, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<Body>) -> Self::Future {
            std::future::pending()
        }
    }

    fn call_to(path: &str) -> http::Request<Body> {
        http::Request::builder()
            .uri(path)
            .header(REQUEST_ID_HEADER, "req-7")
            .header(http::header::CONTENT_TYPE, "application/grpc")
            .body(Body::empty())
            .unwrap()
    }

    #[tokio::test]
    async fn a_unary_call_over_the_request_timeout_is_deadline_exceeded() {
        let metrics = Arc::new(Metrics::new());
        let layer = CallLayer::new(metrics, Some(Duration::from_millis(1)), 10);
        let response = layer
            .layer(Never)
            .call(call_to("/alam.v1.EntityExtractorService/Extract"))
            .await
            .unwrap();
        let status = Status::from_header_map(response.headers()).unwrap();
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(
            status.message().contains("--request-timeout"),
            "{}",
            status.message()
        );
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "req-7");
    }

    fn status_of_response(response: &http::Response<Body>) -> Status {
        Status::from_header_map(response.headers()).expect("a status in the headers")
    }

    #[tokio::test]
    async fn requests_that_are_not_grpc_or_carry_a_bad_timeout_are_refused() {
        let layer = CallLayer::new(Arc::new(Metrics::new()), None, 10);
        let mut service = layer.layer(Never);
        let mut not_grpc = call_to("/alam.v1.EntityExtractorService/Extract");
        not_grpc.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        );
        let response = service.call(not_grpc).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(status_of_response(&response).code(), Code::InvalidArgument);

        for garbage in ["soon", "5", "123456789S", "5x", "-1S"] {
            let mut request = call_to("/alam.v1.EntityExtractorService/Extract");
            request
                .headers_mut()
                .insert("grpc-timeout", HeaderValue::from_static(garbage));
            let response = service.call(request).await.unwrap();
            let status = status_of_response(&response);
            assert_eq!(status.code(), Code::InvalidArgument, "{garbage}");
            assert!(status.message().contains("grpc-timeout"), "{status:?}");
        }
    }

    #[tokio::test]
    async fn the_callers_shorter_deadline_ends_a_unary_call() {
        let layer = CallLayer::new(Arc::new(Metrics::new()), Some(Duration::from_secs(30)), 10);
        let mut request = call_to("/alam.v1.EntityExtractorService/Extract");
        request
            .headers_mut()
            .insert("grpc-timeout", HeaderValue::from_static("5m"));
        let response = layer.layer(Never).call(request).await.unwrap();
        let status = status_of_response(&response);
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(status.message().contains("grpc-timeout"), "{status:?}");
        assert_eq!(
            grpc_timeout(&HeaderValue::from_static("2S")),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            grpc_timeout(&HeaderValue::from_static("7u")),
            Some(Duration::from_micros(7))
        );
    }

    #[tokio::test]
    async fn open_streams_count_against_their_limit() {
        let layer = CallLayer::new(Arc::new(Metrics::new()), None, 1);
        let mut service = layer.layer(Never);
        let stream = "/alam.v1.EntityExtractorService/ExtractStream";
        let first = service.call(call_to(stream));
        let refused = service.call(call_to(stream)).await.unwrap();
        assert_eq!(status_of_response(&refused).code(), Code::ResourceExhausted);
        // Unary calls are not streams.
        let unary = service.call(call_to("/alam.v1.EntityExtractorService/GetInfo"));
        drop(unary);
        drop(first);
        let again = service.call(call_to(stream));
        let waited = tokio::time::timeout(Duration::from_millis(20), again).await;
        assert!(
            waited.is_err(),
            "a stream was refused after the first one ended"
        );
    }

    #[test]
    fn messages_are_counted_however_the_bytes_are_cut() {
        // Two messages: 3 bytes of payload, then 1.
        let bytes = [0, 0, 0, 0, 3, 7, 7, 7, 0, 0, 0, 0, 1, 9];
        for cut in 0..bytes.len() {
            let mut messages = Messages::default();
            let (a, b) = bytes.split_at(cut);
            let begun = messages.follow(a) + messages.follow(b);
            assert_eq!(begun, 2, "cut at {cut}");
            let mut first = Messages::default();
            let (a, b) = bytes[..8].split_at(cut.min(8));
            assert_eq!(first.follow(a) + first.follow(b), 1, "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn a_stream_is_not_timed_as_a_whole() {
        let metrics = Arc::new(Metrics::new());
        let layer = CallLayer::new(metrics, Some(Duration::from_millis(1)), 10);
        let mut service = layer.layer(Never);
        let call = service.call(call_to("/alam.v1.EntityExtractorService/ExtractStream"));
        // Still waiting well past the limit: each request of a stream has its own.
        let waited = tokio::time::timeout(Duration::from_millis(50), call).await;
        assert!(waited.is_err());
    }
}
