//! OpenTelemetry end to end: `alam serve` exports its spans over OTLP to a trace collector the
//! test runs (the collector's gRPC trace service, from opentelemetry-proto). A call carrying a
//! W3C `traceparent` is a server span of that trace, child of the caller's span, named and
//! described by the RPC semantic conventions; the call's log line carries the same ids; a call
//! over HTTP/JSON continues the caller's trace too. The spans are read after a clean shutdown,
//! which exports what is buffered: nothing here waits on a timer.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use crate::common::{SENTENCE, ServerProcess, extract_request, http_request};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
const HTTP_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// A trace collector that keeps every span it is sent.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone()?.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calls_span_continues_the_callers_trace_and_is_exported() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = listener.local_addr().unwrap();
    let (stop_collector, collector_stopped) = oneshot::channel::<()>();
    let collecting = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = collector_stopped.await;
            }),
    );

    let endpoint = format!("http://{collector_addr}");
    let mut server = ServerProcess::start_with_env(
        &[
            "--log-format",
            "json",
            "--metrics-addr",
            "off",
            "--drain-delay",
            "0s",
            "--otlp-endpoint",
            &endpoint,
        ],
        &[("OTEL_SERVICE_NAME", "alam-under-test")],
    )
    .await;
    let mut client = server.client().await;
    let mut request = tonic::Request::new(extract_request(SENTENCE));
    let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01");
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    let answer = client.extract(request).await.unwrap().into_inner();
    assert_eq!(answer.mentions.len(), 3);

    let http_traceparent = format!("00-{HTTP_TRACE_ID}-b7ad6b7169203331-01");
    let body = serde_json::to_vec(&serde_json::json!({"text": SENTENCE})).unwrap();
    let reply = http_request(
        server.addr,
        "POST",
        "/v1/extract",
        &[("traceparent", http_traceparent.as_str())],
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");

    server.signal("TERM");
    assert!(server.wait().success());
    let _ = stop_collector.send(());
    collecting.await.unwrap().unwrap();

    let spans = collector.spans.lock().unwrap().clone();
    let span = spans
        .iter()
        .find(|s| hex(&s.trace_id) == TRACE_ID)
        .unwrap_or_else(|| panic!("no span of the caller's trace among {spans:?}"));
    assert_eq!(hex(&span.parent_span_id), PARENT_SPAN_ID);
    assert_eq!(span.name, "alam.v1.EntityExtractorService/Extract");
    assert_eq!(span.kind, 2, "a server span");
    assert_eq!(
        attribute(span, "rpc.system"),
        Some(Value::StringValue("grpc".into()))
    );
    assert_eq!(
        attribute(span, "rpc.method"),
        Some(Value::StringValue("Extract".into()))
    );
    assert_eq!(
        attribute(span, "rpc.grpc.status_code"),
        Some(Value::IntValue(0))
    );
    assert!(
        spans.iter().any(|s| hex(&s.trace_id) == HTTP_TRACE_ID),
        "the HTTP call did not continue its caller's trace"
    );

    // The call's log line names the same trace and span.
    let span_id = hex(&span.span_id);
    let logged = server.log().into_iter().any(|line| {
        serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|json| {
            json["method"] == "Extract"
                && json["trace_id"] == TRACE_ID
                && json["span_id"] == span_id
        })
    });
    assert!(
        logged,
        "no call line with trace {TRACE_ID} and span {span_id}"
    );
}
