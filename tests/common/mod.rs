//! Helpers shared by the integration tests: the default gazetteers' extractor (built once), the
//! seed articles and what their gold covers, temporary directories, the real `alam serve` binary
//! (start it on `127.0.0.1:0`, learn the addresses it prints, keep its log, send it signals, and
//! kill it if a test ends first) and a server run in the test's own process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use alam_engine::{ExtractOptions, Extractor, Mention, OffsetEncoding};

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

/// How long to wait for something the server must print; only turns a hang into a failure.
const PATIENCE: Duration = Duration::from_secs(60);

/// The `alam serve` process, killed on drop if it is still running. Unix only: it is stopped and
/// reloaded with signals.
#[cfg(unix)]
pub struct ServerProcess {
    child: Child,
    /// Where it serves gRPC.
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

#[cfg(unix)]
impl ServerProcess {
    /// Runs `alam serve --addr 127.0.0.1:0 ARGS…` and waits until it prints its address.
    pub fn spawn(args: &[&str]) -> ServerProcess {
        ServerProcess::spawn_with_env(args, &[])
    }

    /// [`ServerProcess::spawn`] with extra environment variables.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_alam"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
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
            addr: String::new(),
            log,
            reader: Some(reader),
        };
        server.addr = server.printed("alam: serving on ");
        server
    }

    /// What follows `prefix` on the first log line that starts with it, waiting for it.
    pub fn printed(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find_map(|l| l.strip_prefix(prefix).map(str::to_string));
            if let Some(value) = found {
                return value;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("alam exited ({status}) before printing {prefix:?}");
            }
            assert!(Instant::now() < deadline, "alam did not print {prefix:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
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

#[cfg(unix)]
impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A server run in this process on `127.0.0.1:0`: drained by [`InProcessServer::stop`], aborted
/// on drop.
pub struct InProcessServer {
    /// Where it serves gRPC.
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), alam::server::ServeError>>,
}

/// The default gazetteers, as a server's loader.
pub async fn embedded() -> Result<alam_engine::Extractor, alam::server::LoadError> {
    Ok(alam_engine::Extractor::embedded()?)
}

/// The default configuration with no drain delay, so that tests stop at once.
pub fn test_config() -> alam::server::ServeConfig {
    alam::server::ServeConfig {
        drain_delay: Duration::ZERO,
        ..alam::server::ServeConfig::default()
    }
}

impl InProcessServer {
    /// Serves the default gazetteers with `config`.
    pub async fn start(config: alam::server::ServeConfig) -> InProcessServer {
        InProcessServer::start_loading(config, embedded()).await
    }

    /// Serves what `load` builds, with `config`.
    pub async fn start_loading(
        config: alam::server::ServeConfig,
        load: impl Future<Output = Result<alam_engine::Extractor, alam::server::LoadError>>
        + Send
        + 'static,
    ) -> InProcessServer {
        InProcessServer::start_with_ops(config, alam::server::Ops::default(), load).await
    }

    /// Serves what `load` builds, with `config` and the production extras of `ops`.
    pub async fn start_with_ops(
        config: alam::server::ServeConfig,
        ops: alam::server::Ops,
        load: impl Future<Output = Result<alam_engine::Extractor, alam::server::LoadError>>
        + Send
        + 'static,
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
            stop: Some(stop),
            task,
        }
    }

    /// A new connection (one HTTP/2 connection: the concurrency limit is per connection).
    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// An EntityExtractor client on a new connection.
    pub async fn client(
        &self,
    ) -> alam::proto::entity_extractor_client::EntityExtractorClient<tonic::transport::Channel>
    {
        alam::proto::entity_extractor_client::EntityExtractorClient::new(self.channel().await)
    }

    /// Waits for the server to end on its own, and returns how it ended.
    pub async fn ended(mut self) -> Result<(), alam::server::ServeError> {
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
