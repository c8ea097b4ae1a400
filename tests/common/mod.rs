//! Helpers shared by the integration tests: the default gazetteers' extractor (built once), the
//! seed articles and what their gold covers, temporary directories, waiting for a condition, and
//! servers on `127.0.0.1:0` that are SERVING when a test gets them: one run in the test's own
//! process, and the real `alam serve` binary (its printed addresses, its log, signals; killed if
//! a test ends first).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alam::proto::ExtractRequest;
use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::server::{LoadError, Ops, ServeConfig, ServeError};
use alam_engine::{ExtractOptions, Extractor, Mention, OffsetEncoding};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Status;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A sentence that names three entities, each once and by name: Wang Yi, China and the Belt and
/// Road initiative.
pub const SENTENCE: &str = "وقال وانغ يي إن الصين تدعم مبادرة الحزام والطريق.";

/// The three offset encodings, in the order the tests report them.
pub const ENCODINGS: [OffsetEncoding; 3] = [
    OffsetEncoding::CodePoint,
    OffsetEncoding::Utf8,
    OffsetEncoding::Utf16,
];

/// The types the seed articles' gold annotates (`tests/golden/README.md`); the others
/// (`region`) are not annotated there.
pub const GOLD_TYPES: [&str; 5] = ["person", "country", "city", "organization", "initiative"];

/// The default gazetteers' extractor, built once for the whole test binary: building it is the
/// slow part of most engine tests.
pub fn extractor() -> &'static Extractor {
    static EXTRACTOR: OnceLock<Extractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| Extractor::embedded().expect("the default gazetteers load"))
}

/// What the engine finds in `text`, in `offsets`, of the types the gold annotates: the answer
/// the command line and the service must give for the same request.
pub fn engine_mentions_of_gold_types(text: &str, offsets: OffsetEncoding) -> Vec<Mention<'_>> {
    let options = ExtractOptions {
        offsets,
        types: extractor()
            .type_filter(&GOLD_TYPES)
            .expect("the gold's types exist"),
    };
    extractor()
        .extract(text, &options)
        .expect("extraction succeeds")
}

/// A seed article of `tests/golden/`: its file and its text.
pub struct SeedArticle {
    pub path: PathBuf,
    pub text: String,
}

/// The five seed articles, in the order of their names.
pub fn seed_articles() -> Vec<SeedArticle> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/golden exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 5, "five seed articles");
    paths
        .into_iter()
        .map(|path| SeedArticle {
            text: std::fs::read_to_string(&path).unwrap(),
            path,
        })
        .collect()
}

/// The first seed article's text: real news of a few kilobytes with entities all through it, for
/// tests that need a realistic document.
pub fn a_seed_article() -> String {
    seed_articles().remove(0).text
}

/// A new empty directory under the system's temporary directory, removed on drop. Its name is
/// unique in the test binary, whose tests run in parallel in one process.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A directory whose name starts with `alam-{name}`.
    pub fn new(name: &str) -> TempDir {
        static CREATED: AtomicUsize = AtomicUsize::new(0);
        let serial = CREATED.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("alam-{name}-{}-{serial}", std::process::id()));
        // A directory left by an earlier run that was killed (same process id) would leak in.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How long any wait may last: far above what anything takes, it only turns a hang into a
/// failure that says what never happened. No test's outcome depends on it.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// How often [`eventually`] looks again: short, so that a wait ends soon after its condition
/// holds.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Waits until `condition` holds, looking every few milliseconds; panics, naming `what`, if it
/// still does not hold after [`PATIENCE`].
pub async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition().await {
        assert!(
            Instant::now() < deadline,
            "after {PATIENCE:?}, still not: {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// An Extract request for `text`, every other field left at its default.
pub fn extract_request(text: &str) -> ExtractRequest {
    ExtractRequest {
        text: text.to_string(),
        ..Default::default()
    }
}

/// What the server behind `channel` reports for `service` (`grpc.health.v1` Check): `""` is the
/// server as a whole.
pub async fn health_status(channel: &Channel, service: &str) -> Result<ServingStatus, Status> {
    let request = HealthCheckRequest {
        service: service.to_string(),
    };
    let response = HealthClient::new(channel.clone()).check(request).await?;
    Ok(response.into_inner().status())
}

/// Whether the server reports SERVING for `""`. The server sets `""` after its named service, so
/// both are ready then (`src/server/health.rs`).
async fn reports_serving(channel: &Channel) -> bool {
    // Before the server has set any status, `""` is unknown (NOT_FOUND): not serving yet.
    matches!(health_status(channel, "").await, Ok(ServingStatus::Serving))
}

/// An HTTP/1.1 response, as a Prometheus scraper reads it.
pub struct HttpResponse {
    /// `HTTP/1.1 200 OK`.
    pub status_line: String,
    pub content_type: String,
    pub body: String,
}

/// An HTTP/1.1 answer, its body de-chunked.
#[derive(Debug)]
pub struct HttpReply {
    /// 200, 404 …
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request on a connection of its own (`Connection: close`).
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    HttpReply {
        status,
        headers,
        body,
    }
}

/// The payload of a chunked HTTP/1.1 body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size_text = std::str::from_utf8(&raw[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        raw = &raw[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// A plain HTTP/1.1 GET of `path` at `addr`, on a connection of its own.
pub async fn http_get(addr: SocketAddr, path: &str) -> HttpResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    HttpResponse {
        status_line: head.lines().next().unwrap().to_string(),
        content_type: head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                // Header names are case-insensitive (HTTP/1.1 servers often send them lowercase).
                name.eq_ignore_ascii_case("content-type")
                    .then_some(value.trim())
            })
            .unwrap_or_default()
            .to_string(),
        body: body.to_string(),
    }
}

/// A new plaintext connection to `addr`.
async fn connect(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"))
}

/// A server run in this process on `127.0.0.1:0`: drained by [`InProcessServer::stop`], aborted
/// on drop.
pub struct InProcessServer {
    /// Where it serves gRPC.
    pub addr: SocketAddr,
    /// How [`InProcessServer::channel`] connects over TLS; `None` in plaintext.
    client_tls: Option<ClientTlsConfig>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

/// The default gazetteers, as a server's loader.
pub async fn embedded() -> Result<Extractor, LoadError> {
    Ok(Extractor::embedded()?)
}

/// The default configuration with no drain delay, so that tests stop at once.
pub fn test_config() -> ServeConfig {
    ServeConfig {
        drain_delay: Duration::ZERO,
        ..ServeConfig::default()
    }
}

impl InProcessServer {
    /// Serves the default gazetteers with `config`; returns once the server is SERVING.
    pub async fn start(config: ServeConfig) -> InProcessServer {
        InProcessServer::start_with(config, Ops::default(), embedded()).await
    }

    /// Serves what `load` builds, with `config` and the production extras of `ops` (in
    /// plaintext: see [`InProcessServer::start_tls`]); returns once the server is SERVING.
    pub async fn start_with(
        config: ServeConfig,
        ops: Ops,
        load: impl Future<Output = Result<Extractor, LoadError>> + Send + 'static,
    ) -> InProcessServer {
        let server = InProcessServer::launch(config, ops, load).await;
        server.wait_until_serving().await;
        server
    }

    /// Serves the default gazetteers over the TLS of `ops`; `client` is how this helper's own
    /// connections trust the server (and present a certificate, if the server asks for one).
    /// Returns once the server is SERVING.
    pub async fn start_tls(ops: Ops, client: ClientTlsConfig) -> InProcessServer {
        assert!(ops.tls.is_some(), "start_tls serves TLS");
        let mut server = InProcessServer::launch(test_config(), ops, embedded()).await;
        server.client_tls = Some(client);
        server.wait_until_serving().await;
        server
    }

    /// Starts serving what `load` builds and returns at once, for the tests of what a server
    /// does before it is SERVING, or when it never is.
    pub async fn launch(
        config: ServeConfig,
        ops: Ops,
        load: impl Future<Output = Result<Extractor, LoadError>> + Send + 'static,
    ) -> InProcessServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(alam::server::serve_with_ops(
            listener,
            config,
            ops,
            load,
            async {
                let _ = stopped.await;
            },
        ));
        InProcessServer {
            addr,
            client_tls: None,
            stop: Some(stop),
            task,
        }
    }

    async fn wait_until_serving(&self) {
        let channel = self.channel().await;
        eventually("the server reports SERVING", async || {
            assert!(
                !self.task.is_finished(),
                "the server ended before it was SERVING"
            );
            reports_serving(&channel).await
        })
        .await;
    }

    /// A new connection (one HTTP/2 connection: the concurrency limit is per connection).
    pub async fn channel(&self) -> Channel {
        let Some(tls) = &self.client_tls else {
            return connect(self.addr).await;
        };
        Endpoint::from_shared(format!("https://{}", self.addr))
            .unwrap()
            .tls_config(tls.clone())
            .unwrap()
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {} over TLS: {e}", self.addr))
    }

    /// An EntityExtractorService client on a new connection.
    pub async fn client(&self) -> EntityExtractorServiceClient<Channel> {
        EntityExtractorServiceClient::new(self.channel().await)
    }

    /// Waits for the server to end on its own, and returns how it ended.
    pub async fn ended(mut self) -> Result<(), ServeError> {
        tokio::time::timeout(PATIENCE, &mut self.task)
            .await
            .expect("the server ends")
            .unwrap()
    }

    /// Shuts the server down gracefully and checks that it ended well.
    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(PATIENCE, &mut self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(unix)]
pub use process::ServerProcess;

/// The real binary. Unix only: the tests stop and reload it with signals.
#[cfg(unix)]
mod process {
    use std::io::{BufRead, BufReader};
    use std::net::SocketAddr;
    use std::process::{Child, Command, ExitStatus, Stdio};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;

    use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
    use tonic::transport::Channel;

    use super::{connect, eventually, reports_serving};

    /// The `alam serve` process, killed on drop if it is still running.
    pub struct ServerProcess {
        child: Child,
        /// Where it serves gRPC.
        pub addr: SocketAddr,
        log: Arc<Mutex<Vec<String>>>,
        reader: Option<JoinHandle<()>>,
    }

    impl ServerProcess {
        /// Runs `alam serve --addr 127.0.0.1:0 ARGS…` and returns once it is SERVING.
        pub async fn start(args: &[&str]) -> ServerProcess {
            ServerProcess::start_with_env(args, &[]).await
        }

        /// `alam serve` with `args` and these environment variables, once it has printed its
        /// address (not yet serving, perhaps).
        pub async fn spawn(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
            let mut child = Command::new(env!("CARGO_BIN_EXE_alam"))
                .args(["serve", "--addr", "127.0.0.1:0"])
                .args(args)
                .envs(env.iter().copied())
                // The tests read lines logged at `info`, whatever the caller's environment says.
                .env("RUST_LOG", "info")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("alam starts");
            let stderr = child.stderr.take().unwrap();
            let log = Arc::new(Mutex::new(Vec::new()));
            let lines = log.clone();
            // Keep draining the log, so that the server never blocks on a full pipe.
            let reader = std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    eprintln!("[server] {line}");
                    lines.lock().unwrap().push(line);
                }
            });
            let mut server = ServerProcess {
                child,
                // Until it prints the address its listener was given.
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                log,
                reader: Some(reader),
            };
            let addr = server.printed("alam: serving on ").await;
            server.addr = addr
                .parse()
                .unwrap_or_else(|e| panic!("{addr:?} is not an address: {e}"));
            server
        }

        /// [`ServerProcess::start_with_env`], SERVING over plaintext.
        pub async fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
            let mut server = ServerProcess::spawn(args, env).await;
            let channel = server.channel().await;
            eventually("alam serve reports SERVING", async || {
                server.assert_running("reporting SERVING");
                reports_serving(&channel).await
            })
            .await;
            server
        }

        /// What follows `prefix` on the first log line that starts with it, waiting for it. A
        /// JSON line counts as `alam: ` and its message, as `--log-format json` prints the
        /// server's own lines.
        pub async fn printed(&mut self, prefix: &str) -> String {
            let mut found = None;
            eventually(&format!("alam prints {prefix:?}"), async || {
                self.assert_running(&format!("printing {prefix:?}"));
                found = self.log.lock().unwrap().iter().find_map(|line| {
                    let said = match serde_json::from_str::<serde_json::Value>(line) {
                        Ok(json) => format!("alam: {}", json["message"].as_str()?),
                        Err(_) => line.clone(),
                    };
                    said.strip_prefix(prefix).map(str::to_string)
                });
                found.is_some()
            })
            .await;
            found.unwrap()
        }

        /// Fails the test if the process has exited before `doing` something.
        fn assert_running(&mut self, doing: &str) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("alam exited ({status}) before {doing}");
            }
        }

        /// A new connection.
        pub async fn channel(&self) -> Channel {
            connect(self.addr).await
        }

        /// An EntityExtractorService client on a new connection.
        pub async fn client(&self) -> EntityExtractorServiceClient<Channel> {
            EntityExtractorServiceClient::new(self.channel().await)
        }

        /// Sends a signal (`TERM`, `HUP`, …).
        pub fn signal(&self, name: &str) {
            let status = Command::new("kill")
                .args([&format!("-{name}"), &self.child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success(), "kill -{name}");
        }

        /// Waits for the process to exit, and for its whole log to be read.
        pub fn wait(&mut self) -> ExitStatus {
            let status = self.child.wait().unwrap();
            if let Some(reader) = self.reader.take() {
                reader.join().unwrap();
            }
            status
        }

        /// Every log line so far.
        pub fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }

        /// Whether a log line so far contains `text`.
        pub fn logged(&self, text: &str) -> bool {
            self.log
                .lock()
                .unwrap()
                .iter()
                .any(|line| line.contains(text))
        }
    }

    impl Drop for ServerProcess {
        fn drop(&mut self) {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}
