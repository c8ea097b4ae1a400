//! An experiment for BENCHMARKS.md: the gRPC service through the library entry point
//! `alam::server::serve_with_listener`, on a listening socket with TCP_NODELAY set (Linux copies
//! it to every accepted connection). `alam serve` does not set it today; comparing the two under
//! h2load shows what Nagle's algorithm costs the Extract latency.
//!
//! `cargo run --release --example serve_nodelay -- [ADDR]` (default 127.0.0.1:0); Ctrl-C (SIGINT)
//! drains and stops it; SIGTERM ends it at once (an experiment, not a server).

#[cfg(feature = "server")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    imp::main()
}

#[cfg(not(feature = "server"))]
fn main() {
    eprintln!("this example needs the `server` feature (on by default)");
    std::process::exit(2);
}

#[cfg(feature = "server")]
mod imp {
    use alam::Extractor;
    use alam::server::{LoadError, ServeConfig, serve_with_listener};

    #[tokio::main]
    pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
        let addr: std::net::SocketAddr = std::env::args()
            .nth(1)
            .unwrap_or_else(|| "127.0.0.1:0".into())
            .parse()?;
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_nodelay(true)?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(1024)?;
        eprintln!("alam: serving on {}", listener.local_addr()?);
        let load = async { Ok::<_, LoadError>(Extractor::embedded()?) };
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let config = ServeConfig {
            drain_delay: std::time::Duration::ZERO,
            ..ServeConfig::default()
        };
        serve_with_listener(listener, config, load, shutdown).await?;
        Ok(())
    }
}
