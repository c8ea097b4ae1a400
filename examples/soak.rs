//! The soak client of `bench/soak.sh`: for DURATION seconds, legitimate callers use every method
//! of `alam.v1.EntityExtractorService` while abusers cancel calls, set tiny deadlines, hold idle streams
//! open, trickle bodies, and open TCP connections that never speak. Prints one JSON line: the
//! legitimate calls made and failed (there must be none), and the abusive ones.
//!
//! `cargo run --release --example soak -- HOST:PORT DURATION_SECONDS`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::proto::{
    ExtractBatchRequest, ExtractRequest, ExtractResponse, GetEntityRequest, GetInfoRequest,
    ListEntitiesRequest,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

/// A sentence of the kind the service reads all day.
const SENTENCE: &str = "وقال وانغ يي إن الصين وكازاخستان تدعمان مبادرة الحزام والطريق في أستانا.";

#[derive(Default)]
struct Counts {
    legit_calls: AtomicU64,
    legit_failures: AtomicU64,
    abusive_calls: AtomicU64,
}

fn request(text: &str) -> ExtractRequest {
    ExtractRequest {
        text: text.to_string(),
        ..Default::default()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .ok_or("usage: soak HOST:PORT DURATION_SECONDS")?;
    let seconds: u64 = args
        .next()
        .ok_or("usage: soak HOST:PORT DURATION_SECONDS")?
        .parse()?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))?;
    let counts = Arc::new(Counts::default());
    let big = SENTENCE.repeat(100_000 / SENTENCE.len());

    let mut tasks = Vec::new();
    for worker in 0..4 {
        let (channel, counts) = (endpoint.connect().await?, counts.clone());
        tasks.push(tokio::spawn(legit_unary(channel, counts, until, worker)));
    }
    let (channel, c) = (endpoint.connect().await?, counts.clone());
    tasks.push(tokio::spawn(legit_stream(channel, c, until)));
    let (channel, c) = (endpoint.connect().await?, counts.clone());
    tasks.push(tokio::spawn(cancels_and_deadlines(channel, c, until, big)));
    let (channel, c) = (endpoint.connect().await?, counts.clone());
    tasks.push(tokio::spawn(idle_streams(channel, c, until)));
    let (channel, c) = (endpoint.connect().await?, counts.clone());
    tasks.push(tokio::spawn(slow_bodies(channel, c, until)));
    tasks.push(tokio::spawn(silent_connections(
        addr.clone(),
        counts.clone(),
        until,
    )));
    for task in tasks {
        task.await?;
    }
    println!(
        "{{\"legit_calls\": {}, \"legit_failures\": {}, \"abusive_calls\": {}}}",
        counts.legit_calls.load(Ordering::Relaxed),
        counts.legit_failures.load(Ordering::Relaxed),
        counts.abusive_calls.load(Ordering::Relaxed)
    );
    Ok(())
}

/// Every unary method in turn; each call must succeed.
async fn legit_unary(channel: Channel, counts: Arc<Counts>, until: Instant, worker: u64) {
    let mut client = EntityExtractorServiceClient::new(channel);
    let mut round = worker;
    while Instant::now() < until {
        let ok = match round % 5 {
            0 => client.extract(request(SENTENCE)).await.is_ok(),
            1 => {
                let batch = ExtractBatchRequest {
                    requests: (0..10).map(|_| request(SENTENCE)).collect(),
                };
                client.extract_batch(batch).await.is_ok()
            }
            2 => {
                let id = "country:KZ".to_string();
                client.get_entity(GetEntityRequest { id }).await.is_ok()
            }
            3 => {
                let page = ListEntitiesRequest {
                    page_size: 50,
                    ..Default::default()
                };
                client.list_entities(page).await.is_ok()
            }
            _ => client.get_info(GetInfoRequest {}).await.is_ok(),
        };
        counts.legit_calls.fetch_add(1, Ordering::Relaxed);
        if !ok {
            counts.legit_failures.fetch_add(1, Ordering::Relaxed);
        }
        round += 1;
    }
}

/// Streams of 50 requests, each answered.
async fn legit_stream(channel: Channel, counts: Arc<Counts>, until: Instant) {
    let mut client = EntityExtractorServiceClient::new(channel);
    while Instant::now() < until {
        let requests = tokio_stream::iter((0..50).map(|_| request(SENTENCE)));
        let answered = async {
            let mut answers = client.extract_stream(requests).await?.into_inner();
            let mut n = 0;
            while answers.message().await?.is_some() {
                n += 1;
            }
            Ok::<_, tonic::Status>(n)
        }
        .await;
        counts.legit_calls.fetch_add(1, Ordering::Relaxed);
        if answered.map_or(true, |n| n != 50) {
            counts.legit_failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Large texts whose callers give up at once: dropped futures and 1 ms deadlines.
async fn cancels_and_deadlines(channel: Channel, counts: Arc<Counts>, until: Instant, big: String) {
    let mut client = EntityExtractorServiceClient::new(channel);
    let mut round = 0u64;
    while Instant::now() < until {
        if round.is_multiple_of(2) {
            let call = client.extract(request(&big));
            let _ = tokio::time::timeout(Duration::from_millis(1), call).await;
        } else {
            let mut call = tonic::Request::new(request(&big));
            call.set_timeout(Duration::from_millis(1));
            let _ = client.extract(call).await;
        }
        counts.abusive_calls.fetch_add(1, Ordering::Relaxed);
        round += 1;
    }
}

/// Fifty streams that send nothing, held two seconds, again and again.
async fn idle_streams(channel: Channel, counts: Arc<Counts>, until: Instant) {
    let client = EntityExtractorServiceClient::new(channel);
    while Instant::now() < until {
        let mut held = Vec::new();
        for _ in 0..50 {
            let (sender, requests) = mpsc::channel::<ExtractRequest>(1);
            let mut client = client.clone();
            let stream =
                tokio::spawn(
                    async move { client.extract_stream(ReceiverStream::new(requests)).await },
                );
            held.push((sender, stream));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        for (sender, stream) in held {
            drop(sender);
            stream.abort();
            counts.abusive_calls.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A unary call whose body stays open a second after its message, then is dropped.
async fn slow_bodies(channel: Channel, counts: Arc<Counts>, until: Instant) {
    while Instant::now() < until {
        let (sender, requests) = mpsc::channel::<ExtractRequest>(1);
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        let call = tokio::spawn(async move {
            grpc.ready().await.ok()?;
            grpc.client_streaming(
                tonic::Request::new(ReceiverStream::new(requests)),
                PathAndQuery::from_static("/alam.v1.EntityExtractorService/Extract"),
                tonic_prost::ProstCodec::<ExtractRequest, ExtractResponse>::default(),
            )
            .await
            .ok()
        });
        let _ = sender.send(request(SENTENCE)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(sender);
        call.abort();
        counts.abusive_calls.fetch_add(1, Ordering::Relaxed);
    }
}

/// Fifty TCP connections that never send a byte, held three seconds, again and again.
async fn silent_connections(addr: String, counts: Arc<Counts>, until: Instant) {
    while Instant::now() < until {
        let mut held = Vec::new();
        for _ in 0..50 {
            if let Ok(connection) = tokio::net::TcpStream::connect(&addr).await {
                held.push(connection);
            }
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        counts
            .abusive_calls
            .fetch_add(held.len() as u64, Ordering::Relaxed);
    }
}
