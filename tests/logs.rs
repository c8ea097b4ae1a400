//! `alam serve --log-format json`: every log line is one JSON object, and each call's line has
//! its request id (the caller's `x-request-id`, else a generated one, returned in the response
//! either way), method, gRPC status and latency.

use std::time::Instant;

use alam::proto::GetEntityRequest;
use serde_json::Value;
use tonic::Code;

use crate::common::{SENTENCE, ServerProcess, extract_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_one_object_a_line_with_request_ids() {
    let mut server = ServerProcess::start(&[
        "--metrics-addr",
        "off",
        "--drain-delay",
        "0s",
        "--log-format",
        "json",
    ])
    .await;
    let mut client = server.client().await;

    let mut request = tonic::Request::new(extract_request(SENTENCE));
    request
        .metadata_mut()
        .insert("x-request-id", "req-from-caller-1".parse().unwrap());
    let called = Instant::now();
    let response = client.extract(request).await.unwrap();
    let call_took_ms = called.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "req-from-caller-1"
    );
    let missing = client
        .get_entity(GetEntityRequest {
            id: "city:atlantis".to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let generated_id = missing
        .metadata()
        .get("x-request-id")
        .expect("an error carries the request id too")
        .to_str()
        .unwrap()
        .to_string();

    server.signal("TERM");
    assert!(server.wait().success());
    let lines = server.log();

    // Every line is JSON, the server's own start-up lines included.
    let records: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        records.iter().any(|r| r["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("serving on "))),
        "no start-up line in {records:#?}"
    );
    assert!(
        records
            .iter()
            .all(|r| r["level"].is_string() && r["timestamp"].is_string())
    );
    let calls: Vec<&Value> = records
        .iter()
        .filter(|r| r["target"] == "alam::call")
        .collect();
    let call = |request_id: &str| {
        *calls
            .iter()
            .find(|r| r["request_id"] == request_id)
            .unwrap_or_else(|| panic!("no call {request_id} in {calls:#?}"))
    };
    let extract = call("req-from-caller-1");
    assert_eq!(extract["method"], "Extract");
    // Who called: the client's loopback address and its user agent.
    let peer = extract["peer"].as_str().unwrap_or_default();
    assert!(peer.starts_with("127.0.0.1:"), "peer {peer:?} in {extract}");
    let user_agent = extract["user_agent"].as_str().unwrap_or_default();
    assert!(
        user_agent.contains("tonic"),
        "user_agent {user_agent:?} in {extract}"
    );
    assert_eq!(extract["status"], "OK");
    assert_eq!(extract["mentions"], 3);
    assert_eq!(extract["text_bytes"], SENTENCE.len());
    // The server's measure of the call lies within the caller's, which also counts the network.
    let latency_ms = extract["latency_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("latency_ms is not a number: {extract}"));
    assert!(
        latency_ms > 0.0 && latency_ms <= call_took_ms,
        "latency_ms {latency_ms} is not within the {call_took_ms} ms the call took"
    );

    assert_eq!(generated_id.len(), 16);
    let get_entity = call(&generated_id);
    assert_eq!(get_entity["method"], "GetEntity");
    assert_eq!(get_entity["status"], "NOT_FOUND");
    assert!(
        get_entity["error"]
            .as_str()
            .unwrap()
            .contains("city:atlantis")
    );
    // The lifecycle is logged too: loaded, then shut down.
    assert!(
        records
            .iter()
            .any(|r| r["message"] == "gazetteers loaded; serving")
    );
    assert!(records.iter().any(|r| r["message"] == "stopped"));
}
