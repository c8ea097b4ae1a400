//! Overload behaviour of the gRPC service: a caller over `--concurrency-limit` is
//! refused at once instead of queueing; a message over the size limit is refused from its
//! length prefix, before it is received; a request of the maximum size is answered, and does not
//! hold up small ones while it is in flight.
//!
//! Deterministic: a call is held "in flight" by a client that keeps its request body open (the
//! server waits for the end of a unary request's body), so no test depends on timing. Every
//! server runs in the test's runtime on `127.0.0.1:0` and is stopped at the end.

use std::time::Duration;

use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::proto::{ExtractRequest, ExtractResponse};
use alam::server::ServeConfig;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::common::{
    InProcessServer, PATIENCE, SENTENCE, a_seed_article, eventually, extract_request, health_status,
};

fn config() -> ServeConfig {
    ServeConfig {
        drain_delay: Duration::ZERO,
        shutdown_timeout: Duration::from_secs(30),
        request_timeout: None,
        ..ServeConfig::default()
    }
}

/// An `Extract` call whose request body stays open until the returned sender sends (or is
/// dropped): the server holds the call in flight meanwhile. Messages sent on the sender are the
/// request's messages.
fn held_extract(
    channel: Channel,
) -> (
    mpsc::Sender<ExtractRequest>,
    JoinHandle<Result<ExtractResponse, tonic::Status>>,
) {
    let (sender, receiver) = mpsc::channel::<ExtractRequest>(4);
    let call = tokio::spawn(async move {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unknown(e.to_string()))?;
        let codec = tonic_prost::ProstCodec::<ExtractRequest, ExtractResponse>::default();
        grpc.client_streaming(
            tonic::Request::new(ReceiverStream::new(receiver)),
            PathAndQuery::from_static("/alam.v1.EntityExtractorService/Extract"),
            codec,
        )
        .await
        .map(tonic::Response::into_inner)
    });
    (sender, call)
}

/// Waits until the connection's only call slot is taken: a health check on it is shed.
async fn wait_until_saturated(channel: &Channel) {
    eventually(
        "the held call takes the connection's slot",
        async || match health_status(channel, "").await {
            Err(status) if status.code() == Code::ResourceExhausted => true,
            Ok(_) => false,
            Err(status) => panic!("unexpected status while waiting: {status:?}"),
        },
    )
    .await;
}

#[tokio::test]
async fn over_the_concurrency_limit_callers_are_refused_at_once_not_queued() {
    let server = InProcessServer::start(ServeConfig {
        concurrency_limit: Some(1),
        ..config()
    })
    .await;
    let channel = server.channel().await;
    let (hold, held) = held_extract(channel.clone());
    wait_until_saturated(&channel).await;

    // Fifty callers on the saturated connection: every one gets its answer while the held call
    // is still in flight, so none of them waited for a slot.
    let mut callers = Vec::new();
    for _ in 0..50 {
        let mut client = EntityExtractorServiceClient::new(channel.clone());
        callers.push(tokio::spawn(async move {
            client.extract(extract_request(SENTENCE)).await
        }));
    }
    for caller in callers {
        let result = tokio::time::timeout(PATIENCE, caller)
            .await
            .expect("a caller over the limit was queued instead of refused")
            .unwrap();
        let status = result.expect_err("a caller over the limit was served");
        assert!(
            matches!(status.code(), Code::ResourceExhausted | Code::Unavailable),
            "{status:?}"
        );
    }
    assert!(!held.is_finished(), "the held call is still in flight");

    // Another connection has its own slots.
    let mut other = EntityExtractorServiceClient::new(server.channel().await);
    let answer = other
        .extract(extract_request(SENTENCE))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.mentions.len(), 3);

    // Once the held call completes, the slot is free again on the same connection.
    hold.send(extract_request(SENTENCE)).await.unwrap();
    drop(hold);
    let held = tokio::time::timeout(PATIENCE, held).await.unwrap().unwrap();
    assert_eq!(held.unwrap().mentions.len(), 3);
    let mut client = EntityExtractorServiceClient::new(channel);
    eventually("the slot comes back", async || {
        match client.extract(extract_request(SENTENCE)).await {
            Ok(answer) => {
                assert_eq!(answer.into_inner().mentions.len(), 3);
                true
            }
            // The slot is released when the held call's response completes; retry until then.
            Err(status) if status.code() == Code::ResourceExhausted => false,
            Err(status) => panic!("{status:?}"),
        }
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_refused_from_its_length_prefix() {
    let server = InProcessServer::start(ServeConfig {
        max_text_bytes: 16 * 1024,
        max_message_bytes: 32 * 1024,
        ..config()
    })
    .await;
    let channel = server.channel().await;

    // 4 MiB in one message, and the body left open: the refusal must come without the server
    // waiting for (or buffering) the rest of the body.
    let (hold, call) = held_extract(channel.clone());
    let big = SENTENCE.repeat(4 * 1024 * 1024 / SENTENCE.len());
    hold.send(extract_request(&big)).await.unwrap();
    let status = tokio::time::timeout(PATIENCE, call)
        .await
        .expect("the oversized message was not refused while its body was open")
        .unwrap()
        .expect_err("an oversized message was accepted");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("too large"), "{status:?}");
    let reason = status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone());
    assert_eq!(reason.as_deref(), Some("MESSAGE_TOO_LARGE"));
    // Like any call: a request id to quote (and a log line and metrics, written with it).
    assert!(
        status.metadata().get("x-request-id").is_some(),
        "{status:?}"
    );
    drop(hold);

    let mut client = EntityExtractorServiceClient::new(channel.clone());
    // A text over --max-text-bytes that fits in a message is refused with its own code.
    let long = SENTENCE.repeat(24 * 1024 / SENTENCE.len());
    let status = client.extract(extract_request(&long)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    // The connection still serves normal calls.
    let answer = client
        .extract(extract_request(SENTENCE))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.mentions.len(), 3);
    server.stop().await;
}

#[tokio::test]
async fn an_oversized_stream_message_ends_the_stream_with_its_error() {
    let server = InProcessServer::start(ServeConfig {
        max_text_bytes: 16 * 1024,
        max_message_bytes: 32 * 1024,
        ..config()
    })
    .await;
    let mut client = EntityExtractorServiceClient::new(server.channel().await);
    let big = SENTENCE.repeat(4 * 1024 * 1024 / SENTENCE.len());
    let (sender, receiver) = mpsc::channel::<ExtractRequest>(4);
    sender.send(extract_request(SENTENCE)).await.unwrap();
    sender.send(extract_request(&big)).await.unwrap();
    let outcome = tokio::time::timeout(PATIENCE, async {
        let mut responses = client
            .extract_stream(ReceiverStream::new(receiver))
            .await?
            .into_inner();
        let first = responses.message().await?;
        assert_eq!(first.map(|r| r.mentions.len()), Some(3));
        responses.message().await
    })
    .await
    .expect("the oversized stream message was not refused while the stream was open");
    let status = outcome.expect_err("an oversized stream message ended the stream as a success");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    drop(sender);
    server.stop().await;
}

#[tokio::test]
async fn a_request_of_the_maximum_size_is_answered_without_holding_up_small_ones() {
    let max_text_bytes = 512 * 1024;
    let server = InProcessServer::start(ServeConfig {
        max_text_bytes,
        max_message_bytes: alam::server::default_max_message_bytes(max_text_bytes),
        ..config()
    })
    .await;
    let article = a_seed_article();
    let mut text = article.repeat(max_text_bytes / article.len());
    text.push_str(&" ".repeat(max_text_bytes - text.len()));
    assert_eq!(text.len(), max_text_bytes);

    // The maximum-size request is sent whole, but its body is kept open: it is in flight.
    let channel = server.channel().await;
    let (hold, big) = held_extract(channel.clone());
    hold.send(extract_request(&text)).await.unwrap();

    // Small calls on the same connection and on another one are answered meanwhile.
    let other = server.channel().await;
    let mut smalls = Vec::new();
    for i in 0..40 {
        let mut client = EntityExtractorServiceClient::new(if i % 2 == 0 {
            channel.clone()
        } else {
            other.clone()
        });
        smalls.push(tokio::spawn(async move {
            client.extract(extract_request(SENTENCE)).await
        }));
    }
    for small in smalls {
        let answer = tokio::time::timeout(PATIENCE, small)
            .await
            .expect("a small call was held up by the large one")
            .unwrap()
            .unwrap()
            .into_inner();
        assert_eq!(answer.mentions.len(), 3);
    }
    assert!(!big.is_finished(), "the large call is still in flight");

    // Then the large one completes and is answered in full, while more small ones run.
    drop(hold);
    let mut client = EntityExtractorServiceClient::new(other.clone());
    let (big, small) = tokio::join!(
        tokio::time::timeout(PATIENCE, big),
        client.extract(extract_request(SENTENCE))
    );
    assert_eq!(small.unwrap().into_inner().mentions.len(), 3);
    let big = big.unwrap().unwrap().unwrap();
    let per_article = EntityExtractorServiceClient::new(other)
        .extract(extract_request(&article))
        .await
        .unwrap()
        .into_inner()
        .mentions
        .len();
    assert!(per_article > 0);
    assert!(
        big.mentions.len() >= per_article * (max_text_bytes / article.len()),
        "{} mentions",
        big.mentions.len()
    );
    server.stop().await;
}
