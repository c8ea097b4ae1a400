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
//! - With TLS, the handshake is made here, each in a task of its own, within the first-bytes
//!   timeout; one that fails (a client certificate refused, a plaintext client) is logged with
//!   the peer and the reason, and counted.
//! - An HTTP/2 header block (a HEADERS frame and its CONTINUATIONs) must be complete within
//!   [`Timeouts::header_block`]: a client that opens one and never ends it would otherwise hold
//!   the connection until the idle limit, one byte a while at a time. The frames are followed
//!   above TLS. (HTTP/1.1 headers have hyper's own read timeout.)
//!
//! Accepted sockets get TCP_NODELAY: an answer is written in pieces, and without it Nagle's
//! algorithm holds each one until the client's delayed ACK.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::Stream;
use tonic::transport::server::{Connected, TcpConnectInfo};

use super::metrics::Metrics;
use super::tls::TlsConfig;

/// How long accepting waits after a failure for lack of resources.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How long a connection may stay silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From accept to the connection's first bytes (the TLS hello or the HTTP/2 preface).
    pub first_bytes: Duration,
    /// With no byte read or written, once the connection has spoken; `None` for no limit.
    pub idle: Option<Duration>,
    /// From the first byte of an HTTP/2 header block to its end.
    pub header_block: Duration,
}

/// The accepted connections of a listener, as tonic takes them.
pub(crate) struct Incoming {
    listener: TcpListener,
    metrics: Arc<Metrics>,
    timeouts: Timeouts,
    shutdown: watch::Receiver<bool>,
    backoff: Option<Pin<Box<Sleep>>>,
    /// The TLS handshakes to make, when the port serves TLS.
    tls: Option<TlsAcceptor>,
    /// The connections whose handshakes succeeded (each handshake is a task of its own, so
    /// that a slow client holds up no other).
    handshaken: mpsc::UnboundedReceiver<Io>,
    handshaken_sender: mpsc::UnboundedSender<Io>,
}

impl Incoming {
    /// The connections of `listener`; `shutdown` turns true when the server begins to stop.
    pub(crate) fn new(
        listener: TcpListener,
        metrics: Arc<Metrics>,
        timeouts: Timeouts,
        shutdown: watch::Receiver<bool>,
        tls: Option<TlsConfig>,
    ) -> Incoming {
        let (handshaken_sender, handshaken) = mpsc::unbounded_channel();
        Incoming {
            listener,
            metrics,
            timeouts,
            shutdown,
            backoff: None,
            tls: tls.map(|config| TlsAcceptor::from(config.server)),
            handshaken,
            handshaken_sender,
        }
    }
}

impl Stream for Incoming {
    type Item = io::Result<Io>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Poll::Ready(Some(io)) = self.handshaken.poll_recv(cx) {
                return Poll::Ready(Some(Ok(io)));
            }
            if let Some(backoff) = &mut self.backoff {
                ready!(backoff.as_mut().poll(cx));
                self.backoff = None;
            }
            match ready!(self.listener.poll_accept(cx)) {
                Ok((stream, peer)) => {
                    // Best effort: a socket without it is slower, not wrong.
                    let _ = stream.set_nodelay(true);
                    self.metrics.connection_opened();
                    let connection = Connection::new(
                        stream,
                        self.metrics.clone(),
                        self.timeouts,
                        self.shutdown.clone(),
                    );
                    let header_block = self.timeouts.header_block;
                    let Some(acceptor) = self.tls.clone() else {
                        let io = Io::Plain(HeaderWatch::new(connection, header_block));
                        return Poll::Ready(Some(Ok(io)));
                    };
                    tokio::spawn(handshake(
                        acceptor,
                        connection,
                        peer,
                        self.timeouts,
                        self.metrics.clone(),
                        self.handshaken_sender.clone(),
                    ));
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

/// Makes the TLS handshake of `connection` within the first-bytes timeout and hands the
/// connection on, or logs why it failed and counts it.
async fn handshake(
    acceptor: TlsAcceptor,
    connection: Connection,
    peer: SocketAddr,
    timeouts: Timeouts,
    metrics: Arc<Metrics>,
    handshaken: mpsc::UnboundedSender<Io>,
) {
    let outcome = tokio::time::timeout(timeouts.first_bytes, acceptor.accept(connection)).await;
    let error = match outcome {
        Ok(Ok(stream)) => {
            let io = Io::Tls(Box::new(HeaderWatch::new(stream, timeouts.header_block)));
            // The server may be stopping: the connection then just closes.
            let _ = handshaken.send(io);
            return;
        }
        Ok(Err(e)) => e,
        Err(_) => io::Error::new(
            io::ErrorKind::TimedOut,
            "not done within --first-bytes-timeout",
        ),
    };
    metrics.tls_handshake_failed();
    // A connection closed before saying anything is a TCP check or a scanner, not news.
    if error.kind() == io::ErrorKind::UnexpectedEof {
        tracing::debug!(%peer, error = %error, "TLS handshake failed");
    } else {
        tracing::warn!(%peer, error = %error, "TLS handshake failed");
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

/// A connection as the server reads it: plaintext or TLS, its header blocks watched either way.
pub(crate) enum Io {
    /// Plaintext.
    Plain(HeaderWatch<Connection>),
    /// TLS, the handshake done.
    Tls(Box<HeaderWatch<TlsStream<Connection>>>),
}

impl Connected for Io {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        match self {
            Io::Plain(watch) => watch.inner.connect_info(),
            Io::Tls(watch) => watch.inner.get_ref().0.connect_info(),
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Io::Tls(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(&mut io.inner).poll_write(cx, buf),
            Io::Tls(io) => Pin::new(&mut io.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(&mut io.inner).poll_flush(cx),
            Io::Tls(io) => Pin::new(&mut io.inner).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(io) => Pin::new(&mut io.inner).poll_shutdown(cx),
            Io::Tls(io) => Pin::new(&mut io.inner).poll_shutdown(cx),
        }
    }
}

/// A connection's reading side, closed when the client leaves an HTTP/2 header block open
/// longer than [`Timeouts::header_block`]. It reads the client's bytes as HTTP/2 sees them
/// (above TLS).
pub(crate) struct HeaderWatch<T> {
    inner: T,
    limit: Duration,
    /// Where the client is in its HTTP/2 frames.
    frames: HeaderBlocks,
    /// When the connection is closed unless the header block open now ends.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<T> HeaderWatch<T> {
    fn new(inner: T, limit: Duration) -> HeaderWatch<T> {
        HeaderWatch {
            inner,
            limit,
            frames: HeaderBlocks::default(),
            deadline: None,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeaderWatch<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // A header block that opens starts its clock; one that ends stops it.
                self.frames.follow(&buf.filled()[before..]);
                match (self.frames.in_header_block, &self.deadline) {
                    (true, None) => {
                        self.deadline = Some(Box::pin(tokio::time::sleep(self.limit)));
                    }
                    (false, Some(_)) => self.deadline = None,
                    _ => {}
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                let expired = self
                    .deadline
                    .as_mut()
                    .is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready());
                if expired {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "left an HTTP/2 header block open longer than --first-bytes-timeout",
                    )));
                }
                Poll::Pending
            }
            failed => failed,
        }
    }
}

/// What every HTTP/2 client sends first.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The frame types and the flag that open and close a header block (RFC 9113, 6.2 and 6.10).
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_HEADERS: u8 = 0x4;

/// Follows a client's HTTP/2 frames, by their 9-byte headers, far enough to know whether a
/// header block is open. Anything that does not start with the preface (HTTP/1.1, TLS) is
/// left alone.
#[derive(Debug, Default)]
struct HeaderBlocks {
    /// Bytes of the preface matched so far, until it is whole.
    preface: usize,
    /// Not HTTP/2 in plaintext: nothing to follow.
    other: bool,
    /// The frame header being read, and how much of it.
    frame_header: [u8; 9],
    frame_header_seen: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: usize,
    /// Whether a HEADERS frame has begun a block that no frame has ended yet.
    in_header_block: bool,
}

impl HeaderBlocks {
    fn follow(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && !self.other {
            if self.preface < HTTP2_PREFACE.len() {
                let want = &HTTP2_PREFACE[self.preface..];
                let n = want.len().min(bytes.len());
                if bytes[..n] != want[..n] {
                    self.other = true;
                    return;
                }
                self.preface += n;
                bytes = &bytes[n..];
            } else if self.payload_left > 0 {
                let n = self.payload_left.min(bytes.len());
                self.payload_left -= n;
                bytes = &bytes[n..];
            } else {
                let n = (9 - self.frame_header_seen).min(bytes.len());
                self.frame_header[self.frame_header_seen..self.frame_header_seen + n]
                    .copy_from_slice(&bytes[..n]);
                self.frame_header_seen += n;
                bytes = &bytes[n..];
                if self.frame_header_seen == 9 {
                    self.frame_header_seen = 0;
                    let [a, b, c, kind, flags, ..] = self.frame_header;
                    self.payload_left = u32::from_be_bytes([0, a, b, c]) as usize;
                    if kind == HEADERS || kind == CONTINUATION {
                        self.in_header_block = flags & END_HEADERS == 0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_be_bytes();
        let mut frame = vec![len[1], len[2], len[3], kind, flags, 0, 0, 0, 1];
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn a_header_block_is_open_from_its_headers_to_its_end() {
        let settings = frame(0x4, 0, &[]);
        let open = frame(HEADERS, 0, &[0x82, 0x86]);
        let more = frame(CONTINUATION, 0, &[0x84]);
        let end = frame(CONTINUATION, END_HEADERS, &[0x41]);
        let whole = frame(HEADERS, END_HEADERS, &[0x82]);
        let mut stream = HTTP2_PREFACE.to_vec();
        let mut marks = Vec::new();
        for part in [&settings, &open, &more, &end, &whole] {
            stream.extend_from_slice(part);
            marks.push(stream.len());
        }
        // Fed a byte at a time, as a slow client sends it.
        let mut blocks = HeaderBlocks::default();
        let mut states = Vec::new();
        for (i, byte) in stream.iter().enumerate() {
            blocks.follow(std::slice::from_ref(byte));
            if marks.contains(&(i + 1)) {
                states.push(blocks.in_header_block);
            }
        }
        assert_eq!(states, [false, true, true, false, false]);
    }

    #[test]
    fn http1_and_tls_are_left_alone() {
        for start in [
            &b"POST /v1/extract HTTP/1.1\r\n"[..],
            &[0x16, 0x03, 0x01, 0x02][..],
        ] {
            let mut blocks = HeaderBlocks::default();
            blocks.follow(start);
            blocks.follow(&frame(HEADERS, 0, &[1]));
            assert!(blocks.other && !blocks.in_header_block);
        }
    }
}
