//! End-to-end tests of the gRPC service: a real server on `127.0.0.1:0` (through the library's
//! `serve_with_ops`, no process), called with the generated tonic clients. Each seed article is
//! answered exactly as the engine answers it (`golden.rs` holds the engine to the gold). The
//! signal and drain path, which needs a process, is in `server_shutdown.rs`.

use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::proto::{
    EntitySummary, ExtractBatchRequest, ExtractBatchResult, ExtractRequest, ExtractResponse, Form,
    GetEntityRequest, GetInfoRequest, ListEntitiesRequest, Mention, OffsetEncoding,
    extract_batch_result,
};
use alam::server::{LoadError, Ops, ServeConfig, ServeError};
use alam_engine::Extractor;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::{RpcStatusExt, StatusExt};

use crate::common::{
    ENCODINGS, GOLD_TYPES, InProcessServer, SENTENCE, a_seed_article, embedded,
    engine_mentions_of_gold_types, extract_request, extractor, health_status, seed_articles,
    test_config,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_returns_spans_ids_and_entity_counts() {
    let server = InProcessServer::start(test_config()).await;
    let mut client = server.client().await;
    let response = client
        .extract(ExtractRequest {
            text: SENTENCE.to_string(),
            offset_encoding: OffsetEncoding::Utf16.into(),
            entity_types: vec![],
            document_id: "doc-1".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.document_id, "doc-1");
    assert!(!response.gazetteer_version.is_empty());
    let found: Vec<(i32, i32, &str, &str)> = response
        .mentions
        .iter()
        .map(|m| (m.start, m.end, m.entity_id.as_str(), m.entity_type.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (5, 12, "person:wang-yi", "person"),
            (16, 21, "country:CN", "country"),
            (27, 48, "initiative:belt-and-road", "initiative"),
        ]
    );
    assert!(response.mentions.iter().all(|m| m.form() == Form::Name));
    assert_eq!(response.mentions[0].text, "وانغ يي");
    assert_eq!(response.entities.len(), 3);
    assert_eq!(response.entities[1].name_en, "China");
    assert_eq!(response.entities[1].mention_count, 1);

    // A type filter keeps only that type.
    let people = client
        .extract(ExtractRequest {
            entity_types: vec!["person".to_string()],
            ..extract_request(SENTENCE)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(people.mentions.len(), 1);
    assert_eq!(people.mentions[0].entity_id, "person:wang-yi");
    server.stop().await;
}

/// The offset encoding of the contract for the engine's.
fn contract_encoding(encoding: alam_engine::OffsetEncoding) -> OffsetEncoding {
    match encoding {
        alam_engine::OffsetEncoding::CodePoint => OffsetEncoding::CodePoint,
        alam_engine::OffsetEncoding::Utf8 => OffsetEncoding::Utf8,
        alam_engine::OffsetEncoding::Utf16 => OffsetEncoding::Utf16,
    }
}

/// The form of the contract for the engine's.
fn contract_form(form: alam_engine::Form) -> Form {
    match form {
        alam_engine::Form::Name => Form::Name,
        alam_engine::Form::Short => Form::Short,
        alam_engine::Form::Demonym => Form::Demonym,
    }
}

/// The response the service owes for `text` in `encoding`, of the types the gold annotates: the
/// engine's own mentions and entity counts, in the messages of the contract.
fn engines_response(
    document_id: &str,
    text: &str,
    encoding: alam_engine::OffsetEncoding,
) -> ExtractResponse {
    let mentions = engine_mentions_of_gold_types(text, encoding);
    let offset = |value: usize| i32::try_from(value).expect("an offset fits 32 bits");
    ExtractResponse {
        document_id: document_id.to_string(),
        mentions: mentions
            .iter()
            .map(|m| Mention {
                start: offset(m.start),
                end: offset(m.end),
                text: m.text.to_string(),
                entity_id: m.entity_id().to_string(),
                entity_type: m.entity_type().to_string(),
                form: contract_form(m.form).into(),
                candidates: m.candidates.iter().map(|e| e.id.clone()).collect(),
                proclitic: m.proclitic.to_string(),
            })
            .collect(),
        entities: alam_engine::entity_counts(&mentions)
            .into_iter()
            .map(|(entity, count)| EntitySummary {
                id: entity.id.clone(),
                entity_type: entity.entity_type().to_string(),
                name_ar: entity.name_ar.clone(),
                name_en: entity.name_en.clone(),
                mention_count: i32::try_from(count).unwrap(),
                wikidata: entity.wikidata.clone().unwrap_or_default(),
            })
            .collect(),
        gazetteer_version: extractor().gazetteer().version().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_article_gets_the_engines_answer_in_every_encoding() {
    let server = InProcessServer::start(test_config()).await;
    let mut client = server.client().await;
    let mut batch = Vec::new();
    for article in seed_articles() {
        for encoding in ENCODINGS {
            let document_id = format!("{}/{encoding}", article.path.display());
            let request = ExtractRequest {
                text: article.text.clone(),
                offset_encoding: contract_encoding(encoding).into(),
                entity_types: GOLD_TYPES.map(String::from).to_vec(),
                document_id: document_id.clone(),
            };
            let response = client.extract(request.clone()).await.unwrap().into_inner();
            let expected = engines_response(&document_id, &article.text, encoding);
            assert_eq!(response, expected, "{document_id}");
            batch.push((request, response));
        }
    }

    // The same requests as one batch: the same answers, in the same order.
    let results = client
        .extract_batch(ExtractBatchRequest {
            requests: batch.iter().map(|(r, _)| r.clone()).collect(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let expected: Vec<_> = batch
        .into_iter()
        .map(|(_, r)| ExtractBatchResult {
            result: Some(extract_batch_result::Result::Response(r)),
        })
        .collect();
    assert_eq!(results, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_1000_requests_is_answered_in_order() {
    let server = InProcessServer::start(test_config()).await;
    let mut client = server.client().await;
    let texts = ["الصين", "كازاخستان", SENTENCE, "لا شيء هنا"];
    let requests: Vec<ExtractRequest> = (0..1000)
        .map(|i| ExtractRequest {
            document_id: i.to_string(),
            ..extract_request(texts[i % texts.len()])
        })
        .collect();
    let mut answers = client
        .extract_stream(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(answer) = answers.message().await.unwrap() {
        assert_eq!(answer.document_id, n.to_string());
        let expected = [1, 1, 3, 0][n % texts.len()];
        assert_eq!(answer.mentions.len(), expected, "answer {n}");
        n += 1;
    }
    assert_eq!(n, 1000);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_entity_list_entities_and_get_info() {
    let server = InProcessServer::start(test_config()).await;
    let mut client = server.client().await;

    let kz = client
        .get_entity(GetEntityRequest {
            id: "country:KZ".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kz.entity_type, "country");
    assert_eq!(kz.name_en, "Kazakhstan");
    assert!(!kz.demonym_stems.is_empty());

    // Every page, by its token, adds up to the whole list exactly once.
    let info = client
        .get_info(GetInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    let all: i32 = info.types.iter().map(|t| t.entity_count).sum();
    let (mut ids, mut token) = (Vec::new(), String::new());
    loop {
        let page = client
            .list_entities(ListEntitiesRequest {
                entity_type: String::new(),
                page_size: 100,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_size, all);
        assert!(page.entities.len() <= 100);
        ids.extend(page.entities.into_iter().map(|e| e.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(ids.len() as i32, all);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i32, all);

    let people = client
        .list_entities(ListEntitiesRequest {
            entity_type: "person".to_string(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let person_count = info
        .types
        .iter()
        .find(|t| t.entity_type == "person")
        .unwrap();
    assert_eq!(people.total_size, person_count.entity_count);
    assert!(people.entities.iter().all(|e| e.entity_type == "person"));

    assert_eq!(info.build_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.gazetteer_version.len(), 16);
    assert!(info.pattern_count > 0);
    let loaded = info.load_time.expect("a load time");
    assert!(loaded.seconds > 1_700_000_000, "{loaded:?}");
    assert!(info.last_reload_time.is_none());
    assert!(!info.gazetteer_files.is_empty());
    assert!(person_count.alias_count > person_count.entity_count);
    server.stop().await;
}

async fn health(channel: &Channel, service: &str) -> ServingStatus {
    health_status(channel, service).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_not_serving_until_the_gazetteers_load() {
    let (release, released) = oneshot::channel::<()>();
    let load = async move {
        released.await.expect("the test releases the loader");
        embedded().await
    };
    let server = InProcessServer::launch(test_config(), Ops::default(), load).await;
    let channel = server.channel().await;
    assert_eq!(health(&channel, "").await, ServingStatus::NotServing);
    assert_eq!(
        health(&channel, "alam.v1.EntityExtractorService").await,
        ServingStatus::NotServing
    );
    assert_eq!(health(&channel, "liveness").await, ServingStatus::Serving);
    let early = EntityExtractorServiceClient::new(channel.clone())
        .extract(extract_request(SENTENCE))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::Unavailable, "{early:?}");

    // Watch the server's status, then let the gazetteers load: it turns SERVING.
    let mut watch = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::NotServing);
    release.send(()).unwrap();
    let next = watch.message().await.unwrap().unwrap();
    assert_eq!(next.status(), ServingStatus::Serving);
    drop(watch);
    assert_eq!(
        health(&channel, "alam.v1.EntityExtractorService").await,
        ServingStatus::Serving
    );
    let mentions = EntityExtractorServiceClient::new(channel)
        .extract(extract_request(SENTENCE))
        .await
        .unwrap()
        .into_inner()
        .mentions;
    assert_eq!(mentions.len(), 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loader_that_fails_stops_the_server_with_its_error() {
    let failing = async { Err::<Extractor, LoadError>("no such directory".into()) };
    let server = InProcessServer::launch(test_config(), Ops::default(), failing).await;
    let result = server.ended().await;
    assert!(
        matches!(&result, Err(ServeError::Load(e)) if e.to_string() == "no such directory"),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_the_services_in_v1_and_v1alpha() {
    use tonic_reflection::pb::{v1, v1alpha};
    let server = InProcessServer::start(test_config()).await;
    let channel = server.channel().await;

    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut responses =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone())
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response.message_response
    else {
        panic!("not a list of services: {response:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in ["alam.v1.EntityExtractorService", "grpc.health.v1.Health"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut responses = v1::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response.message_response
    else {
        panic!("not a list of services: {response:?}");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "alam.v1.EntityExtractorService")
    );
    server.stop().await;
}

/// Asserts that a call failed with `code` and a message containing `needle`.
fn expect<T>(result: Result<tonic::Response<T>, tonic::Status>, code: Code, needle: &str) {
    let Err(status) = result else {
        panic!("expected {code:?}, the call succeeded");
    };
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(needle),
        "{needle:?} not in {:?}",
        status.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_mistake_gets_its_code_and_says_how_to_fix_it() {
    let config = ServeConfig {
        max_text_bytes: 1000,
        max_batch: 3,
        max_message_bytes: 4000,
        ..test_config()
    };
    let server = InProcessServer::start(config).await;
    let mut client = server.client().await;
    let long = "ب".repeat(600); // 1,200 bytes
    expect(
        client.extract(extract_request(&long)).await,
        Code::InvalidArgument,
        "--max-text-bytes",
    );
    expect(
        client
            .extract(ExtractRequest {
                entity_types: vec!["planet".to_string()],
                ..extract_request(SENTENCE)
            })
            .await,
        Code::InvalidArgument,
        "valid types: city, country",
    );
    expect(
        client
            .extract(ExtractRequest {
                offset_encoding: 9,
                ..extract_request(SENTENCE)
            })
            .await,
        Code::InvalidArgument,
        "OFFSET_ENCODING_UTF16",
    );
    expect(
        client
            .extract_batch(ExtractBatchRequest {
                requests: vec![extract_request("الصين"); 4],
            })
            .await,
        Code::InvalidArgument,
        "limit of 3 (--max-batch)",
    );
    // A bad request of a batch fails alone, with its field named within the batch.
    let results = client
        .extract_batch(ExtractBatchRequest {
            requests: vec![extract_request("الصين"), extract_request(&long)],
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let Some(extract_batch_result::Result::Response(first)) = &results[0].result else {
        panic!("the good request of the batch got no answer: {results:?}");
    };
    assert_eq!(first.mentions.len(), 1);
    let Some(extract_batch_result::Result::Error(error)) = &results[1].result else {
        panic!("the long text of the batch got no error: {results:?}");
    };
    assert_eq!(error.code, Code::InvalidArgument as i32);
    assert!(error.message.contains("text of 1200 bytes"), "{error:?}");
    let details = error.get_error_details();
    assert_eq!(details.error_info().unwrap().reason, "TEXT_TOO_LONG");
    let violations = &details.bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "requests[1].text");
    let cities = ListEntitiesRequest {
        entity_type: "city".to_string(),
        page_size: 2,
        ..Default::default()
    };
    let token = client
        .list_entities(cities.clone())
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    expect(
        client
            .list_entities(ListEntitiesRequest {
                entity_type: "person".to_string(),
                page_token: token,
                ..cities
            })
            .await,
        Code::InvalidArgument,
        "handed out for entity_type \"city\", not \"person\"",
    );
    expect(
        client
            .list_entities(ListEntitiesRequest {
                page_size: -1,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "page_size -1 is negative",
    );
    for token in ["abc", "-1", "007", "99999", "5"] {
        expect(
            client
                .list_entities(ListEntitiesRequest {
                    page_token: token.to_string(),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
            "page_token",
        );
    }
    expect(
        client
            .list_entities(ListEntitiesRequest {
                entity_type: "planet".to_string(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "valid types",
    );
    expect(
        client
            .get_entity(GetEntityRequest {
                id: "country:XX".to_string(),
            })
            .await,
        Code::NotFound,
        "country:XX",
    );
    expect(
        client
            .get_entity(GetEntityRequest { id: String::new() })
            .await,
        Code::InvalidArgument,
        "id is empty",
    );
    // A message over --max-message-bytes is RESOURCE_EXHAUSTED, as gRPC's status guide says.
    let huge = "ب".repeat(3000);
    let status = client.extract(extract_request(&huge)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    // In a stream, the bad request ends the stream with its status, after the good answers.
    let mut answers = client
        .extract_stream(tokio_stream::iter([
            extract_request("الصين"),
            extract_request(&long),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answers.message().await.unwrap().unwrap().mentions.len(), 1);
    let status = answers.message().await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("request #1: "), "{status:?}");
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(
        (
            info.reason.as_str(),
            info.metadata["request_index"].as_str()
        ),
        ("TEXT_TOO_LONG", "1")
    );
    assert_eq!(
        details.bad_request().unwrap().field_violations[0].field,
        "text"
    );

    // The server is still fine.
    assert_eq!(
        client
            .extract(extract_request(SENTENCE))
            .await
            .unwrap()
            .into_inner()
            .mentions
            .len(),
        3
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_clients_all_succeed() {
    let server = InProcessServer::start(test_config()).await;
    let article = a_seed_article();
    let expected = server
        .client()
        .await
        .extract(extract_request(&article))
        .await
        .unwrap()
        .into_inner();
    let mut calls = Vec::new();
    for client_index in 0..64 {
        // A connection of its own for each client.
        let mut client = server.client().await;
        let article = article.clone();
        calls.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for call in 0..8 {
                // Every other client sends a large text, so both the inline and the
                // blocking-pool paths are busy at once.
                let text = if client_index % 2 == 0 && call == 0 {
                    article.repeat(8)
                } else {
                    article.clone()
                };
                let response = client.extract(extract_request(&text)).await?.into_inner();
                answers.push((text.len() > article.len(), response));
            }
            Ok::<_, tonic::Status>(answers)
        }));
    }
    for call in calls {
        for (large, response) in call.await.unwrap().unwrap() {
            if large {
                assert_eq!(response.mentions.len(), expected.mentions.len() * 8);
            } else {
                assert_eq!(response, expected);
            }
        }
    }
    server.stop().await;
}
