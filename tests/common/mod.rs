//! Helpers shared by the integration tests: the real `alam serve` binary (start it on
//! `127.0.0.1:0`, learn the addresses it prints, keep its log, send it signals, and kill it if a
//! test ends first) and a server run in the test's own process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
