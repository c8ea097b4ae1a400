//! The Prometheus endpoint: after a known set of calls, `/metrics` (parsed as the text
//! exposition format, not grepped) shows exactly those calls, by method and gRPC code, with the
//! bytes and mentions extracted and the gazetteer's sizes as GetInfo reports them.

use std::collections::BTreeMap;

use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::proto::{ExtractBatchRequest, ExtractRequest, GetEntityRequest, GetInfoRequest};
use alam::server::Ops;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::common::{
    HttpResponse, InProcessServer, SENTENCE, embedded, extract_request, http_get, test_config,
};

/// A sample's name and labels.
type Series = (String, BTreeMap<String, String>);

/// Parses the text exposition format: one sample a line, `name{label="value",…} value`;
/// comments and blank lines skipped. Panics on anything else, so that a malformed line fails.
fn parse_exposition(text: &str) -> BTreeMap<Series, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels end with }");
                (name.to_string(), parse_labels(body, line))
            }
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line:?}"
        );
        let previous = samples.insert((name, labels), value);
        assert!(previous.is_none(), "duplicate series {line:?}");
    }
    samples
}

fn parse_labels(mut body: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !body.is_empty() {
        let (key, rest) = body
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad label in {line:?}"));
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("bad escape in {line:?}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {line:?}"),
            }
        };
        labels.insert(key.to_string(), value);
        body = rest[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&rest[end + 1..]);
    }
    labels
}

fn series(name: &str, labels: &[(&str, &str)]) -> Series {
    (
        name.to_string(),
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A series of a gRPC method, with go-grpc-prometheus's labels and `extra` ones.
fn grpc_series(name: &str, method: &str, extra: &[(&str, &str)]) -> Series {
    let kind = if method == "ExtractStream" {
        "bidi_stream"
    } else {
        "unary"
    };
    let mut labels = vec![
        ("grpc_type", kind),
        ("grpc_service", "alam.v1.EntityExtractorService"),
        ("grpc_method", method),
    ];
    labels.extend_from_slice(extra);
    series(name, &labels)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_calls_made() {
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = metrics_listener.local_addr().unwrap();
    let ops = Ops {
        metrics_listener: Some(metrics_listener),
        ..Ops::default()
    };
    let server = InProcessServer::start_with(test_config(), ops, embedded()).await;
    let channel = server.channel().await;
    let mut client = EntityExtractorServiceClient::new(channel);
    let info = client
        .get_info(GetInfoRequest {})
        .await
        .unwrap()
        .into_inner();

    let extract = |entity_types: Vec<String>| ExtractRequest {
        entity_types,
        ..extract_request(SENTENCE)
    };
    for _ in 0..3 {
        let response = client.extract(extract(vec![])).await.unwrap().into_inner();
        assert_eq!(response.mentions.len(), 3);
    }
    let refused = client
        .extract(extract(vec!["planet".to_string()]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let batch = ExtractBatchRequest {
        requests: vec![extract(vec![]), extract(vec!["country".to_string()])],
    };
    client.extract_batch(batch).await.unwrap();
    let missing = client
        .get_entity(GetEntityRequest {
            id: "city:atlantis".to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let answers: Vec<_> = client
        .extract_stream(tokio_stream::iter([extract(vec![]), extract(vec![])]))
        .await
        .unwrap()
        .into_inner()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(answers.len(), 2);

    let HttpResponse {
        status_line,
        content_type,
        body,
    } = http_get(metrics_addr, "/metrics").await;
    assert_eq!(status_line, "HTTP/1.1 200 OK");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let samples = parse_exposition(&body);
    let value = |s: Series| {
        *samples
            .get(&s)
            .unwrap_or_else(|| panic!("no {s:?} in\n{body}"))
    };

    let bytes = SENTENCE.len() as f64;
    // Messages each way: the refused Extract was received and answered with a status only.
    for (method, received, sent) in [("Extract", 4.0, 3.0), ("ExtractStream", 2.0, 2.0)] {
        let count = |name| value(grpc_series(name, method, &[]));
        assert_eq!(
            count("grpc_server_msg_received_total"),
            received,
            "{method}"
        );
        assert_eq!(count("grpc_server_msg_sent_total"), sent, "{method}");
    }
    assert_eq!(
        value(grpc_series("grpc_server_started_total", "Extract", &[])),
        4.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handled_total",
            "Extract",
            &[("grpc_code", "OK")]
        )),
        3.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handled_total",
            "Extract",
            &[("grpc_code", "InvalidArgument")]
        )),
        1.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handled_total",
            "ExtractBatch",
            &[("grpc_code", "OK")]
        )),
        1.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handled_total",
            "GetEntity",
            &[("grpc_code", "NotFound")]
        )),
        1.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handled_total",
            "GetInfo",
            &[("grpc_code", "OK")]
        )),
        1.0
    );
    // The server was SERVING before the first call: no GetInfo was refused while it loaded.
    assert_eq!(
        value(grpc_series("grpc_server_started_total", "GetInfo", &[])),
        1.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_started_total",
            "ExtractStream",
            &[]
        )),
        1.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handling_seconds_count",
            "Extract",
            &[]
        )),
        4.0
    );
    assert_eq!(
        value(grpc_series(
            "grpc_server_handling_seconds_bucket",
            "Extract",
            &[("le", "+Inf")]
        )),
        4.0
    );
    assert_eq!(
        value(grpc_series("alam_grpc_server_in_flight", "Extract", &[])),
        0.0
    );
    // Every code is listed from zero, as grpc-go names it.
    assert_eq!(
        value(grpc_series(
            "grpc_server_handled_total",
            "GetEntity",
            &[("grpc_code", "Unavailable")]
        )),
        0.0
    );
    // Every call is counted once, whatever its code.
    let handled_extract: f64 = samples
        .iter()
        .filter(|((name, labels), _)| {
            name == "grpc_server_handled_total" && labels["grpc_method"] == "Extract"
        })
        .map(|(_, v)| v)
        .sum();
    assert_eq!(handled_extract, 4.0);

    assert_eq!(
        value(series(
            "alam_text_bytes_total",
            &[("grpc_method", "Extract")]
        )),
        4.0 * bytes
    );
    assert_eq!(
        value(series(
            "alam_text_bytes_total",
            &[("grpc_method", "ExtractBatch")]
        )),
        2.0 * bytes
    );
    assert_eq!(
        value(series("alam_mentions_total", &[("grpc_method", "Extract")])),
        9.0
    );
    // The batch: 3 mentions, and 1 with the country filter.
    assert_eq!(
        value(series(
            "alam_mentions_total",
            &[("grpc_method", "ExtractBatch")]
        )),
        4.0
    );

    for count in &info.types {
        let t = count.entity_type.as_str();
        assert_eq!(
            value(series("alam_gazetteer_entities", &[("type", t)])),
            f64::from(count.entity_count)
        );
        assert_eq!(
            value(series("alam_gazetteer_aliases", &[("type", t)])),
            f64::from(count.alias_count)
        );
    }
    assert_eq!(
        value(series("alam_automaton_patterns", &[])),
        f64::from(info.pattern_count)
    );
    assert!(value(series("alam_automaton_memory_bytes", &[])) > 0.0);
    assert_eq!(
        value(series(
            "alam_gazetteer_info",
            &[("version", &info.gazetteer_version)]
        )),
        1.0
    );
    assert_eq!(
        value(series(
            "alam_build_info",
            &[("version", &info.build_version)]
        )),
        1.0
    );
    assert_eq!(
        value(series(
            "alam_gazetteer_reloads_total",
            &[("result", "success")]
        )),
        0.0
    );
    assert_eq!(
        value(series(
            "alam_gazetteer_reloads_total",
            &[("result", "failure")]
        )),
        0.0
    );

    let not_found = http_get(metrics_addr, "/").await;
    assert_eq!(not_found.status_line, "HTTP/1.1 404 Not Found");

    server.stop().await;
    // The endpoint stops with the server.
    assert!(tokio::net::TcpStream::connect(metrics_addr).await.is_err());
}

#[test]
fn the_parser_reads_escaped_labels() {
    let samples = parse_exposition("# HELP x y\nx{a=\"q\\\"\\\\\",b=\"2\"} 3\ny 1.5\n");
    assert_eq!(samples[&series("x", &[("a", "q\"\\"), ("b", "2")])], 3.0);
    assert_eq!(samples[&series("y", &[])], 1.5);
}
