//! Hot reload of the gazetteers: a watched directory laid out like a Kubernetes ConfigMap volume
//! (files linked through a `..data` symlink that an update swaps) changes while 16 clients call
//! Extract in a loop; no call fails, the answers switch to the new data, and a broken update
//! leaves the old data serving with the error in GetInfo. SIGHUP on the real binary reloads too.

use std::net::SocketAddr;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::proto::{GetInfoRequest, GetInfoResponse};
use alam::server::{LoadError, Ops, ReloadConfig};
use alam_engine::Extractor;
use tonic::transport::Channel;

use crate::common::{
    InProcessServer, ServerProcess, TempDir, eventually, extract_request, http_get, test_config,
};

const TEXT: &str = "زار الوزير بكين ثم أستانا.";

const BEIJING: &str = r#"
[[entity]]
id = "city:beijing"
name_ar = "بكين"
name_en = "Beijing"
"#;

const ASTANA: &str = r#"
[[entity]]
id = "city:astana"
name_ar = "أستانا"
name_en = "Astana"
"#;

/// Publishes `cities.toml` as the kubelet updates a ConfigMap volume: the data goes into a new
/// hidden directory, then a new `..data` link is renamed over the old one in one step. The
/// visible `cities.toml` is a link through `..data`, made once.
fn publish_like_a_configmap(dir: &Path, generation: u32, cities: &str) {
    let data = format!("..gen_{generation}");
    std::fs::create_dir(dir.join(&data)).unwrap();
    std::fs::write(dir.join(&data).join("cities.toml"), cities).unwrap();
    symlink(&data, dir.join("..data_tmp")).unwrap();
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).unwrap();
    if !dir.join("cities.toml").exists() {
        symlink("..data/cities.toml", dir.join("cities.toml")).unwrap();
    }
}

async fn found_ids(
    client: &mut EntityExtractorServiceClient<Channel>,
) -> Result<Vec<String>, tonic::Status> {
    let response = client.extract(extract_request(TEXT)).await?.into_inner();
    Ok(response.mentions.into_iter().map(|m| m.entity_id).collect())
}

async fn info(client: &mut EntityExtractorServiceClient<Channel>) -> GetInfoResponse {
    client
        .get_info(GetInfoRequest {})
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_directory_reloads_under_load_without_failing_a_call() {
    let dir = TempDir::new("reload-watch");
    publish_like_a_configmap(dir.path(), 1, BEIJING);

    let ops = Ops {
        reload: Some(ReloadConfig {
            dir: dir.path().to_path_buf(),
            watch_interval: Some(Duration::from_millis(50)),
        }),
        ..Ops::default()
    };
    let gazetteers = dir.path().to_path_buf();
    let load = async move {
        Ok::<_, LoadError>(Extractor::new(alam_engine::Gazetteer::load_dir(
            gazetteers,
        )?)?)
    };
    let server = InProcessServer::start_with(test_config(), ops, load).await;

    let mut client = server.client().await;
    let first = info(&mut client).await;
    assert_eq!(found_ids(&mut client).await.unwrap(), ["city:beijing"]);
    assert_eq!(first.last_reload_time, None);

    // 16 clients, each on its own connection, calling without pause until told to stop.
    let running = Arc::new(AtomicBool::new(true));
    let (calls, failures, saw_new) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut callers = Vec::new();
    for _ in 0..16 {
        let mut client = server.client().await;
        let (running, calls, failures, saw_new) = (
            running.clone(),
            calls.clone(),
            failures.clone(),
            saw_new.clone(),
        );
        callers.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                match found_ids(&mut client).await {
                    Ok(ids) => {
                        calls.fetch_add(1, Ordering::Relaxed);
                        if ids.iter().any(|id| id == "city:astana") {
                            saw_new.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(status) => {
                        eprintln!("call failed: {status}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    eventually("the clients are calling", async || {
        calls.load(Ordering::Relaxed) >= 64
    })
    .await;

    publish_like_a_configmap(dir.path(), 2, &format!("{BEIJING}{ASTANA}"));
    eventually("an answer has the new entity", async || {
        found_ids(&mut client).await.unwrap() == ["city:beijing", "city:astana"]
    })
    .await;
    let second = info(&mut client).await;
    assert_ne!(second.gazetteer_version, first.gazetteer_version);
    assert_eq!(second.last_reload_error, "");
    assert!(second.last_reload_time.is_some());
    let calls_at_reload = calls.load(Ordering::Relaxed);
    eventually("more calls after the reload", async || {
        calls.load(Ordering::Relaxed) >= calls_at_reload + 64
    })
    .await;

    // A broken update: the old data keeps serving, and GetInfo says why.
    publish_like_a_configmap(dir.path(), 3, "[[entity]\nid = ");
    eventually("the failed reload is reported", async || {
        !info(&mut client).await.last_reload_error.is_empty()
    })
    .await;
    let third = info(&mut client).await;
    assert!(
        third.last_reload_error.contains("cities.toml"),
        "{}",
        third.last_reload_error
    );
    assert_eq!(third.gazetteer_version, second.gazetteer_version);
    assert_eq!(
        found_ids(&mut client).await.unwrap(),
        ["city:beijing", "city:astana"]
    );

    running.store(false, Ordering::Relaxed);
    for caller in callers {
        caller.await.unwrap();
    }
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "calls failed during the reloads"
    );
    assert!(
        saw_new.load(Ordering::Relaxed) > 0,
        "no client saw the new data"
    );

    // The next good update clears the error.
    publish_like_a_configmap(dir.path(), 4, ASTANA);
    eventually("the error clears on a good reload", async || {
        info(&mut client).await.last_reload_error.is_empty()
    })
    .await;
    assert_eq!(found_ids(&mut client).await.unwrap(), ["city:astana"]);

    server.stop().await;
}

/// The value of one sample of `/metrics` at `metrics_addr`, by its exact series text.
async fn metric(metrics_addr: SocketAddr, series: &str) -> String {
    let body = http_get(metrics_addr, "/metrics").await.body;
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{body}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_gazetteer_directory() {
    let dir = TempDir::new("reload-sighup");
    std::fs::write(dir.path().join("cities.toml"), BEIJING).unwrap();
    let gazetteers = dir.path().to_str().unwrap();
    let mut server = ServerProcess::start(&[
        "--metrics-addr",
        "127.0.0.1:0",
        "--drain-delay",
        "0s",
        "--gazetteers",
        gazetteers,
    ])
    .await;
    let metrics_addr: SocketAddr = server.printed("alam: metrics on ").await.parse().unwrap();
    let mut client = server.client().await;
    let before = info(&mut client).await.gazetteer_version;

    std::fs::write(dir.path().join("cities.toml"), format!("{BEIJING}{ASTANA}")).unwrap();
    server.signal("HUP");
    eventually("SIGHUP reloads", async || {
        info(&mut client).await.gazetteer_version != before
    })
    .await;
    assert_eq!(
        found_ids(&mut client).await.unwrap(),
        ["city:beijing", "city:astana"]
    );
    let reloads = "alam_gazetteer_reloads_total";
    assert_eq!(
        metric(metrics_addr, &format!("{reloads}{{result=\"success\"}}")).await,
        "1"
    );
    assert_eq!(
        metric(metrics_addr, &format!("{reloads}{{result=\"failure\"}}")).await,
        "0"
    );

    // A broken file: refused, counted, and the data loaded before keeps serving.
    std::fs::write(dir.path().join("cities.toml"), "[[entity]\nid = ").unwrap();
    server.signal("HUP");
    eventually("the failed reload is counted", async || {
        metric(metrics_addr, &format!("{reloads}{{result=\"failure\"}}")).await == "1"
    })
    .await;
    assert_eq!(
        metric(metrics_addr, "alam_gazetteer_reload_failing").await,
        "1"
    );
    assert_eq!(
        found_ids(&mut client).await.unwrap(),
        ["city:beijing", "city:astana"]
    );

    server.signal("TERM");
    assert!(server.wait().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_the_embedded_gazetteers_only_logs() {
    let mut server =
        ServerProcess::start(&["--metrics-addr", "127.0.0.1:0", "--drain-delay", "0s"]).await;
    let mut client = server.client().await;
    server.signal("HUP");
    eventually("the SIGHUP is logged", async || {
        server.logged("nothing to reload")
    })
    .await;
    // Still serving, on the same data.
    assert!(client.get_info(GetInfoRequest {}).await.is_ok());
    server.signal("TERM");
    assert!(server.wait().success());
}
