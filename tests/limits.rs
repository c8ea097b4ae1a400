//! The service under clients that misbehave: undecodable requests, connections that never
//! speak, streams left idle or opened past the limit, text past the memory budget, answers
//! larger than the message limit. Each holds, and says why in the status.

use std::time::Duration;

use alam::proto::{ExtractRequest, ExtractResponse};
use alam::server::ServeConfig;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;

use crate::common::{InProcessServer, PATIENCE, SENTENCE, extract_request, test_config};

/// `ExtractRequest` with its text as raw bytes, to send what no proper client would.
#[derive(Clone, PartialEq, prost::Message)]
struct RawExtractRequest {
    #[prost(bytes = "vec", tag = "1")]
    text: Vec<u8>,
}

#[tokio::test]
async fn an_undecodable_request_is_the_callers_mistake() {
    let server = InProcessServer::start(test_config()).await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    grpc.ready().await.unwrap();
    let not_utf8 = RawExtractRequest {
        text: vec![0xd8, 0xa8, 0xff, 0xfe],
    };
    let status = grpc
        .unary(
            tonic::Request::new(not_utf8),
            PathAndQuery::from_static("/alam.v1.EntityExtractorService/Extract"),
            tonic_prost::ProstCodec::<RawExtractRequest, ExtractResponse>::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("could not be decoded"),
        "{status:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_never_speaks_is_closed_and_does_not_hold_the_shutdown() {
    let first_bytes = Duration::from_millis(300);
    let server = InProcessServer::start(ServeConfig {
        first_bytes_timeout: first_bytes,
        // Short, so that a connection holding the shutdown fails `stop` at once.
        shutdown_timeout: Duration::from_secs(2),
        ..test_config()
    })
    .await;
    // One connection read until the server closes it; one left open through the shutdown.
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _held = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut sink = Vec::new();
    tokio::time::timeout(PATIENCE, silent.read_to_end(&mut sink))
        .await
        .expect("the server closes a connection that sends nothing")
        .ok();
    // `stop` fails if the shutdown deadline passes with a connection still open.
    server.stop().await;
}

#[tokio::test]
async fn a_header_block_left_open_closes_its_connection() {
    let server = InProcessServer::start(ServeConfig {
        first_bytes_timeout: Duration::from_millis(300),
        // Only the header-block limit can close the connection here.
        idle_timeout: None,
        request_timeout: None,
        ..test_config()
    })
    .await;
    let mut client = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]); // SETTINGS, empty
    // HEADERS on stream 1 without END_HEADERS: a block the client never ends.
    bytes.extend_from_slice(&[0, 0, 2, 0x1, 0, 0, 0, 0, 1, 0x83, 0x86]);
    tokio::io::AsyncWriteExt::write_all(&mut client, &bytes)
        .await
        .unwrap();
    let mut sink = Vec::new();
    tokio::time::timeout(PATIENCE, client.read_to_end(&mut sink))
        .await
        .expect("the server closes a connection whose header block never ends")
        .ok();
    server.stop().await;
}

#[tokio::test]
async fn an_answer_over_the_message_limit_is_sent_whole() {
    let max_text_bytes = 64 * 1024;
    let server = InProcessServer::start(ServeConfig {
        max_text_bytes,
        max_message_bytes: alam::server::default_max_message_bytes(max_text_bytes),
        ..test_config()
    })
    .await;
    // Dense with names: its answer is several times the message limit.
    let text = "الصين ".repeat(max_text_bytes / "الصين ".len());
    let answer = server
        .client()
        .await
        .extract(extract_request(&text))
        .await
        .expect("the answer is sent whole")
        .into_inner();
    assert_eq!(answer.mentions.len(), max_text_bytes / "الصين ".len());
    server.stop().await;
}

#[tokio::test]
async fn text_past_the_memory_budget_is_refused_at_once() {
    let server = InProcessServer::start(ServeConfig {
        max_inflight_text_bytes: SENTENCE.len() - 1,
        ..test_config()
    })
    .await;
    let status = server
        .client()
        .await
        .extract(extract_request(SENTENCE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("--max-inflight-bytes"),
        "{status:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn streams_count_against_their_limit_and_an_idle_one_ends() {
    let idle = Duration::from_millis(300);
    let server = InProcessServer::start(ServeConfig {
        max_streams: 1,
        idle_timeout: Some(idle),
        request_timeout: None,
        ..test_config()
    })
    .await;
    let mut client = server.client().await;
    let (sender, requests) = mpsc::channel::<ExtractRequest>(1);
    let mut open = client
        .extract_stream(ReceiverStream::new(requests))
        .await
        .unwrap()
        .into_inner();

    // A second stream while the first is open.
    let (_second_sender, second_requests) = mpsc::channel::<ExtractRequest>(1);
    let refused = client
        .extract_stream(ReceiverStream::new(second_requests))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("--max-streams"), "{refused:?}");

    // The first one sends nothing: it ends with its own status, and its sender is still open.
    let ended = tokio::time::timeout(PATIENCE, open.message())
        .await
        .expect("an idle stream ends")
        .unwrap_err();
    assert_eq!(ended.code(), Code::DeadlineExceeded, "{ended:?}");
    assert!(ended.message().contains("--idle-timeout"), "{ended:?}");
    drop(sender);
    server.stop().await;
}

#[tokio::test]
async fn a_unary_call_with_two_messages_is_refused() {
    let server = InProcessServer::start(test_config()).await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    grpc.ready().await.unwrap();
    let two = tokio_stream::iter([extract_request(SENTENCE), extract_request(SENTENCE)]);
    let status = grpc
        .client_streaming(
            tonic::Request::new(two),
            PathAndQuery::from_static("/alam.v1.EntityExtractorService/Extract"),
            tonic_prost::ProstCodec::<ExtractRequest, ExtractResponse>::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("one message"), "{status:?}");

    // And one with none.
    grpc.ready().await.unwrap();
    let none = tokio_stream::iter(Vec::<ExtractRequest>::new());
    let status = grpc
        .client_streaming(
            tonic::Request::new(none),
            PathAndQuery::from_static("/alam.v1.EntityExtractorService/Extract"),
            tonic_prost::ProstCodec::<ExtractRequest, ExtractResponse>::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    server.stop().await;
}
