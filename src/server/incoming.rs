//! The connections the server takes, guarded against clients that hold them without using them.
//!
//! - Accepting backs off for 100 ms when it fails for lack of resources (out of file
//!   descriptors, say), rather than spinning on the error as tonic's own accept loop does, and
//!   says so in the log.
//! - A connection must send its first bytes within [`Timeouts::first_bytes`], and is closed after
//!   [`Timeouts::idle`] with no byte either way: an idle TCP connection otherwise holds a file
//!   descriptor forever.
//! - Once shutdown begins, a connection that never sent a byte is closed at once: there is no
//!   call on it to wait for.
//!
//! Accepted sockets get TCP_NODELAY: an answer is written in pieces, and without it Nagle's
//! algorithm holds each one until the client's delayed ACK.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tokio_stream::Stream;
use tonic::transport::server::{Connected, TcpConnectInfo};

use super::metrics::Metrics;

/// How long accepting waits after a failure for lack of resources.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How long a connection may stay silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From accept to the connection's first bytes (the TLS hello or the HTTP/2 preface).
    pub first_bytes: Duration,
    /// With no byte read or written, once the connection has spoken; `None` for no limit.
    pub idle: Option<Duration>,
}

/// The accepted connections of a listener, as tonic takes them.
pub(crate) struct Incoming {
    listener: TcpListener,
    metrics: Arc<Metrics>,
    timeouts: Timeouts,
    shutdown: watch::Receiver<bool>,
    backoff: Option<Pin<Box<Sleep>>>,
}

impl Incoming {
    /// The connections of `listener`; `shutdown` turns true when the server begins to stop.
    pub(crate) fn new(
        listener: TcpListener,
        metrics: Arc<Metrics>,
        timeouts: Timeouts,
        shutdown: watch::Receiver<bool>,
    ) -> Incoming {
        Incoming {
            listener,
            metrics,
            timeouts,
            shutdown,
            backoff: None,
        }
    }
}

impl Stream for Incoming {
    type Item = io::Result<Connection>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(backoff) = &mut self.backoff {
                ready!(backoff.as_mut().poll(cx));
                self.backoff = None;
            }
            match ready!(self.listener.poll_accept(cx)) {
                Ok((stream, _)) => {
                    // Best effort: a socket without it is slower, not wrong.
                    let _ = stream.set_nodelay(true);
                    self.metrics.connection_opened();
                    let connection = Connection::new(
                        stream,
                        self.metrics.clone(),
                        self.timeouts,
                        self.shutdown.clone(),
                    );
                    return Poll::Ready(Some(Ok(connection)));
                }
                // The client gave up before we took its connection: nothing to do.
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    tracing::warn!(
                        "cannot accept a connection ({e}); trying again in {} ms",
                        ACCEPT_BACKOFF.as_millis()
                    );
                    self.backoff = Some(Box::pin(tokio::time::sleep(ACCEPT_BACKOFF)));
                }
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// An accepted connection that closes itself when it stays silent too long.
pub(crate) struct Connection {
    stream: TcpStream,
    /// Told when the connection closes.
    metrics: Arc<Metrics>,
    timeouts: Timeouts,
    /// Whether the client has sent anything yet.
    heard: bool,
    /// Whether the server has begun to stop.
    stopping: bool,
    /// When the connection is closed for silence, if it stays silent; none once it has spoken
    /// when there is no idle limit.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Resolves when the server begins to stop.
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Connection {
    fn new(
        stream: TcpStream,
        metrics: Arc<Metrics>,
        timeouts: Timeouts,
        mut shutdown: watch::Receiver<bool>,
    ) -> Connection {
        Connection {
            stream,
            metrics,
            timeouts,
            heard: false,
            stopping: false,
            deadline: Some(Box::pin(tokio::time::sleep(timeouts.first_bytes))),
            shutdown: Box::pin(async move {
                // An error means the server is gone: as good as stopping.
                let _ = shutdown.wait_for(|stopping| *stopping).await;
            }),
        }
    }

    /// Pushes the idle deadline back after bytes went by; only the client's first bytes end
    /// the first-bytes wait.
    fn active(&mut self, read: bool) {
        self.heard |= read;
        if !self.heard {
            return;
        }
        match (self.timeouts.idle, &mut self.deadline) {
            (Some(idle), Some(deadline)) => deadline.as_mut().reset(Instant::now() + idle),
            (Some(idle), None) => self.deadline = Some(Box::pin(tokio::time::sleep(idle))),
            (None, _) => self.deadline = None,
        }
    }

    /// Why a silent connection ends now, if it does.
    fn silence_ends(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let deadline = self.deadline.as_mut()?;
        if deadline.as_mut().poll(cx).is_ready() {
            let what = if self.heard {
                "idle for longer than --idle-timeout"
            } else {
                "sent nothing within the first-bytes timeout"
            };
            return Some(io::Error::new(io::ErrorKind::TimedOut, what));
        }
        None
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.metrics.connection_closed();
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.active(true);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if !self.stopping && self.shutdown.as_mut().poll(cx).is_ready() {
                    self.stopping = true;
                }
                if self.stopping && !self.heard {
                    // End of stream: the server closes a connection that never spoke.
                    return Poll::Ready(Ok(()));
                }
                match self.silence_ends(cx) {
                    Some(e) => Poll::Ready(Err(e)),
                    None => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.stream).poll_write(cx, buf));
        if matches!(written, Ok(n) if n > 0) {
            self.active(false);
        }
        Poll::Ready(written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
