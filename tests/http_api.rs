//! The other ways in, on the gRPC port: HTTP/JSON (the proto's `google.api.http` routes, the
//! proto3 JSON mapping, Google's JSON errors, `/openapi.json`), gRPC-Web, and gzip-compressed
//! gRPC. Each must give the answers and errors of the plain gRPC call.

use alam::proto::{ExtractRequest, ExtractResponse};
use alam::server::ServeConfig;
use prost::Message;
use serde_json::{Value, json};
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic_types::StatusExt;

use crate::common::{InProcessServer, SENTENCE, extract_request, http_request, test_config};

async fn post_json(server: &InProcessServer, path: &str, body: &Value) -> crate::common::HttpReply {
    let body = serde_json::to_vec(body).unwrap();
    http_request(
        server.addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
}

async fn get(server: &InProcessServer, path: &str) -> crate::common::HttpReply {
    http_request(server.addr, "GET", path, &[], b"").await
}

/// (start, end, entity id, type) of each mention of a JSON answer.
fn json_mentions(answer: &Value) -> Vec<(i64, i64, String, String)> {
    answer["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["start"].as_i64().unwrap(),
                m["end"].as_i64().unwrap(),
                m["entityId"].as_str().unwrap().to_string(),
                m["entityType"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn grpc_mentions(answer: &ExtractResponse) -> Vec<(i64, i64, String, String)> {
    answer
        .mentions
        .iter()
        .map(|m| {
            (
                i64::from(m.start),
                i64::from(m.end),
                m.entity_id.clone(),
                m.entity_type.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_over_http_gets_the_answers_of_grpc() {
    let server = InProcessServer::start(test_config()).await;
    let mut client = server.client().await;
    let by_grpc = client
        .extract(ExtractRequest {
            offset_encoding: 3,
            ..extract_request(SENTENCE)
        })
        .await
        .unwrap()
        .into_inner();

    let reply = post_json(
        &server,
        "/v1/extract",
        &json!({"text": SENTENCE, "offsetEncoding": "OFFSET_ENCODING_UTF16"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("x-request-id").is_some());
    // No origin is allowed here: no CORS header, not even `vary`.
    assert_eq!(reply.header("vary"), None, "{reply:?}");
    let by_http = reply.json();
    assert_eq!(json_mentions(&by_http), grpc_mentions(&by_grpc));
    assert_eq!(
        by_http["entities"].as_array().unwrap().len(),
        by_grpc.entities.len()
    );
    let wang_yi = &by_http["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "person:wang-yi")
        .unwrap();
    let wikidata = by_grpc
        .entities
        .iter()
        .find(|e| e.id == "person:wang-yi")
        .unwrap()
        .wikidata
        .clone();
    assert_eq!(wang_yi["wikidata"], wikidata.as_str());

    // The proto field names are accepted too, as the proto3 JSON mapping says.
    let reply = post_json(
        &server,
        "/v1/extract",
        &json!({"text": SENTENCE, "entity_types": ["person"]}),
    )
    .await;
    let persons = json_mentions(&reply.json());
    assert!(
        !persons.is_empty() && persons.iter().all(|m| m.3 == "person"),
        "{persons:?}"
    );

    let entity = get(&server, "/v1/entities/country:KZ").await.json();
    assert_eq!(
        (entity["id"].as_str(), entity["nameEn"].as_str()),
        (Some("country:KZ"), Some("Kazakhstan"))
    );
    let page = get(&server, "/v1/entities?entity_type=city&page_size=2")
        .await
        .json();
    assert_eq!(page["entities"].as_array().unwrap().len(), 2);
    let token = page["nextPageToken"].as_str().unwrap();
    let next = get(
        &server,
        &format!("/v1/entities?entity_type=city&page_size=2&page_token={token}"),
    )
    .await;
    assert_eq!(next.status, 200, "{next:?}");
    assert_ne!(next.json()["entities"][0]["id"], page["entities"][0]["id"]);
    let info = get(&server, "/v1/info").await.json();
    assert!(info["loadTime"].as_str().unwrap().ends_with('Z'), "{info}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_with_the_grpc_details() {
    let server = InProcessServer::start(ServeConfig {
        max_text_bytes: 1000,
        max_message_bytes: 4000,
        ..test_config()
    })
    .await;
    let reply = post_json(
        &server,
        "/v1/extract",
        &json!({"text": "x", "entityTypes": ["planet"]}),
    )
    .await;
    assert_eq!(reply.status, 400);
    let error = &reply.json()["error"];
    assert_eq!(error["status"], "INVALID_ARGUMENT");
    assert_eq!(error["details"][0]["reason"], "UNKNOWN_ENTITY_TYPE");
    assert_eq!(
        error["details"][1]["fieldViolations"][0]["field"],
        "entity_types"
    );

    // A batch answers each item; the long text fails alone, named within the batch.
    let long = "ب".repeat(600);
    let reply = post_json(
        &server,
        "/v1/extract:batch",
        &json!({"requests": [{"text": "الصين"}, {"text": long}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let results = reply.json()["results"].clone();
    assert_eq!(
        results[0]["response"]["mentions"][0]["entityId"],
        "country:CN"
    );
    assert_eq!(results[1]["error"]["code"], 3);
    let details = results[1]["error"]["details"].as_array().unwrap();
    let bad_request = details
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .unwrap_or_else(|| panic!("no BadRequest in {details:?}"));
    assert_eq!(
        bad_request["fieldViolations"][0]["field"],
        "requests[1].text"
    );

    let cases: [(&str, &str, &[u8], u16, &str); 5] = [
        ("GET", "/v1/entities/country:XX", b"", 404, "NOT_FOUND"),
        ("POST", "/v1/extract", b"{not json", 400, "INVALID_ARGUMENT"),
        (
            "GET",
            "/v1/entities?colour=red",
            b"",
            400,
            "INVALID_ARGUMENT",
        ),
        ("GET", "/v1/extract", b"", 405, "UNIMPLEMENTED"),
        ("GET", "/v1/nothing", b"", 404, "NOT_FOUND"),
    ];
    for (method, path, body, status, code) in cases {
        let reply = http_request(server.addr, method, path, &[], body).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
        assert_eq!(reply.json()["error"]["status"], code, "{method} {path}");
    }
    // Over the message limit: RESOURCE_EXHAUSTED, as over gRPC.
    let huge = "ب".repeat(3000);
    let reply = post_json(&server, "/v1/extract", &json!({"text": huge})).await;
    assert_eq!(
        reply.json()["error"]["status"],
        "RESOURCE_EXHAUSTED",
        "{reply:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let server = InProcessServer::start(test_config()).await;
    let reply = get(&server, "/openapi.json").await;
    assert_eq!(reply.status, 200);
    let document = reply.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for (path, verb) in [
        ("/v1/extract", "post"),
        ("/v1/extract:batch", "post"),
        ("/v1/entities/{id}", "get"),
        ("/v1/entities", "get"),
        ("/v1/info", "get"),
    ] {
        assert!(paths[path][verb].is_object(), "{verb} {path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn gzip_calls_are_answered_and_bounded_once_decompressed() {
    let server = InProcessServer::start(ServeConfig {
        max_text_bytes: 1000,
        max_message_bytes: 4000,
        ..test_config()
    })
    .await;
    let mut client = server
        .client()
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let answer = client
        .extract(extract_request(SENTENCE))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.mentions.len(), 3);

    // 6,000 bytes that compress to a few dozen: refused once decompressed past the limit.
    let bomb = "ب".repeat(3000);
    let status = client.extract(extract_request(&bomb)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.reason, "MESSAGE_TOO_LARGE");
    server.stop().await;
}

#[tokio::test]
async fn grpc_web_callers_get_the_grpc_answer() {
    let server = InProcessServer::start(test_config()).await;
    let message = extract_request(SENTENCE).encode_to_vec();
    let mut body = vec![0];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(&message);
    let reply = http_request(
        server.addr,
        "POST",
        "/alam.v1.EntityExtractorService/Extract",
        &[
            ("Content-Type", "application/grpc-web+proto"),
            ("X-Grpc-Web", "1"),
        ],
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/grpc-web+proto")
    );
    // A message frame, then the trailers frame (flag 0x80).
    let body = reply.body;
    assert_eq!(body[0], 0);
    let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let answer = ExtractResponse::decode(&body[5..5 + len]).unwrap();
    assert_eq!(answer.mentions.len(), 3);
    let trailers = &body[5 + len..];
    assert_eq!(trailers[0], 0x80);
    let trailers = String::from_utf8_lossy(&trailers[5..]).to_ascii_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    server.stop().await;
}

#[tokio::test]
async fn browsers_of_the_allowed_origins_may_call() {
    let server = InProcessServer::start(ServeConfig {
        cors_allowed_origins: vec!["https://app.example".to_string()],
        ..test_config()
    })
    .await;
    for path in ["/v1/extract", "/alam.v1.EntityExtractorService/Extract"] {
        let preflight = http_request(
            server.addr,
            "OPTIONS",
            path,
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,x-grpc-web"),
            ],
            b"",
        )
        .await;
        assert_eq!(preflight.status, 200, "{path}: {preflight:?}");
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some("https://app.example"),
            "{path}"
        );
    }
    let body = serde_json::to_vec(&json!({"text": SENTENCE})).unwrap();
    let allowed = http_request(
        server.addr,
        "POST",
        "/v1/extract",
        &[("Origin", "https://app.example")],
        &body,
    )
    .await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let exposed = allowed
        .header("access-control-expose-headers")
        .unwrap_or_default();
    assert!(
        exposed.contains("grpc-status") && exposed.contains("x-request-id"),
        "{exposed}"
    );

    let stranger = http_request(
        server.addr,
        "POST",
        "/v1/extract",
        &[("Origin", "https://elsewhere.example")],
        &body,
    )
    .await;
    assert_eq!(stranger.header("access-control-allow-origin"), None);
    server.stop().await;
}

#[tokio::test]
async fn a_json_body_trickled_in_is_cut_at_the_request_timeout() {
    let server = InProcessServer::start(ServeConfig {
        request_timeout: Some(std::time::Duration::from_millis(300)),
        ..test_config()
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // 1,000 bytes announced, 10 sent, and the rest never.
    let head = "POST /v1/extract HTTP/1.1\r\nHost: alam\r\nContent-Type: application/json\r\n\
                Content-Length: 1000\r\n\r\n{\"text\": \"";
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(
        crate::common::PATIENCE,
        tokio::io::AsyncReadExt::read(&mut stream, &mut answer),
    )
    .await
    .expect("no answer while the body never came")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    server.stop().await;
}
