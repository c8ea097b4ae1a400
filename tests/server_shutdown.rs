//! SIGTERM on the real `alam serve` process: health turns NOT_SERVING, calls in flight finish
//! (a stream keeps being answered through the drain and the shutdown), and the process exits 0.

use alam::proto::ExtractRequest;
use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::common::{ServerProcess, a_seed_article, eventually, extract_request};

/// An Extract request for `text`, numbered `i`.
fn request(i: usize, text: &str) -> ExtractRequest {
    ExtractRequest {
        document_id: i.to_string(),
        ..extract_request(text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_calls_in_flight_finish_and_exits_0() {
    let mut server = ServerProcess::start(&[
        "--metrics-addr",
        "off",
        "--drain-delay",
        "0.3s",
        "--shutdown-timeout",
        "60s",
    ])
    .await;
    let channel = server.channel().await;
    let article = a_seed_article();
    let large = article.repeat(150); // about 1 MB: on the blocking pool

    // A stream in flight across the shutdown: its first answer proves it started.
    let (requests, outbound) = mpsc::channel(4);
    let mut client = EntityExtractorServiceClient::new(channel.clone());
    requests.send(request(0, &article)).await.unwrap();
    let mut answers = client
        .extract_stream(ReceiverStream::new(outbound))
        .await
        .unwrap()
        .into_inner();
    let first = answers.message().await.unwrap().unwrap();
    assert_eq!(first.document_id, "0");
    let per_article = first.mentions.len();
    assert!(per_article > 0);

    // Large unary calls, sent before the signal.
    let mut unary = Vec::new();
    for _ in 0..4 {
        let mut client = EntityExtractorServiceClient::new(channel.clone());
        let text = large.clone();
        unary.push(tokio::spawn(async move {
            client.extract(request(0, &text)).await
        }));
    }

    // Watch health over the same connection, then signal.
    let mut watch = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest {
            service: "alam.v1.EntityExtractorService".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );
    server.signal("TERM");
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::NotServing
    );
    drop(watch); // A watch never ends by itself: it would hold the shutdown.

    // The stream goes on through the drain delay and the graceful shutdown.
    for i in 1..=20 {
        requests.send(request(i, &article)).await.unwrap();
        let answer = answers.message().await.unwrap().unwrap();
        assert_eq!(answer.document_id, i.to_string());
        assert_eq!(answer.mentions.len(), per_article);
        if i == 10 {
            // The rest of the stream is answered after the drain delay, once the server has
            // stopped taking new calls (which it logs).
            eventually("the server stops taking new calls", async || {
                server.logged("no new calls")
            })
            .await;
        }
    }
    drop(requests);
    assert!(
        answers.message().await.unwrap().is_none(),
        "the stream ends cleanly"
    );

    for call in unary {
        let response = call.await.unwrap().expect("a call in flight succeeds");
        assert!(response.into_inner().mentions.len() >= per_article * 150);
    }
    drop(client);
    drop(channel);

    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status}");
}
