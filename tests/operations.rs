//! What operators rely on: `alam probe` as a health check that exits 0 only for a serving server,
//! and the connection counts of the metrics.

use std::process::{Command, Output};

use alam::server::Ops;

use crate::common::{InProcessServer, http_get, test_config};

/// `alam probe` against `addr` (in a blocking task: it is a process).
async fn probe(addr: std::net::SocketAddr) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_alam"))
            .args(["probe", "--addr", &addr.to_string(), "--timeout", "5s"])
            .output()
            .expect("the alam binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_exits_0_only_for_a_serving_server() {
    let serving = InProcessServer::start(test_config()).await;
    let output = probe(serving.addr).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "SERVING");
    let addr = serving.addr;
    serving.stop().await;

    let stopped = probe(addr).await;
    assert_eq!(stopped.status.code(), Some(1), "{stopped:?}");
    assert!(String::from_utf8_lossy(&stopped.stderr).contains("cannot connect"));

    // Gazetteers that never finish loading: the server answers health, NOT_SERVING.
    let loading =
        InProcessServer::launch(test_config(), Ops::default(), std::future::pending()).await;
    let output = probe(loading.addr).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    loading.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_count_connections() {
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = metrics_listener.local_addr().unwrap();
    let ops = Ops {
        metrics_listener: Some(metrics_listener),
        ..Ops::default()
    };
    let server = InProcessServer::start_with(test_config(), ops, crate::common::embedded()).await;
    let sample = async |name: &str| -> f64 {
        let body = http_get(metrics, "/metrics").await.body;
        body.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in\n{body}"))
            .parse()
            .unwrap()
    };
    let accepted = sample("alam_connections_accepted_total").await;
    let connection = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    crate::common::eventually("the new connection is counted", async || {
        sample("alam_connections_accepted_total").await > accepted
            && sample("alam_connections_open").await >= 1.0
    })
    .await;
    drop(connection);
    // The helper's own health-check connection is gone by then too: none is left open.
    crate::common::eventually("no connection is left open", async || {
        sample("alam_connections_open").await == 0.0
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_connections_are_asked_to_reconnect_and_no_call_is_lost() {
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = metrics_listener.local_addr().unwrap();
    let ops = Ops {
        metrics_listener: Some(metrics_listener),
        ..Ops::default()
    };
    let config = alam::server::ServeConfig {
        max_connection_age: Some(std::time::Duration::from_millis(300)),
        ..test_config()
    };
    let server = InProcessServer::start_with(config, ops, crate::common::embedded()).await;
    let accepted = async || -> f64 {
        let body = http_get(metrics, "/metrics").await.body;
        body.lines()
            .find_map(|line| line.strip_prefix("alam_connections_accepted_total "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = accepted().await;
    // One client, one channel, calling without pause: its connection ages out and it
    // reconnects. The server answers every call it takes; a client without gRPC's transparent
    // retry (tonic has none) can lose the race of a new call against the GOAWAY, as a transport
    // error of its own, never a status from the server.
    let mut client = server.client().await;
    let (mut calls, mut failures) = (0, Vec::new());
    crate::common::eventually("the client reconnected three times", async || {
        for _ in 0..20 {
            calls += 1;
            if let Err(status) = client
                .extract(crate::common::extract_request(crate::common::SENTENCE))
                .await
            {
                failures.push(status);
            }
        }
        accepted().await >= before + 3.0
    })
    .await;
    let from_server: Vec<_> = failures
        .iter()
        .filter(|status| {
            let transport = std::error::Error::source(status)
                .is_some_and(|e| e.is::<tonic::transport::Error>());
            !transport
        })
        .collect();
    assert!(from_server.is_empty(), "{calls} calls: {from_server:?}");
    assert!(
        failures.len() * 20 < calls,
        "{} of {calls} calls failed",
        failures.len()
    );
    let body = http_get(metrics, "/metrics").await.body;
    let not_ok: Vec<&str> = body
        .lines()
        .filter(|line| {
            line.starts_with("grpc_server_handled_total{")
                && line.contains("grpc_method=\"Extract\"")
                && !line.contains("grpc_code=\"OK\"")
                && !line.ends_with(" 0")
        })
        .collect();
    assert!(not_ok.is_empty(), "the server failed calls: {not_ok:?}");
    server.stop().await;
}
