//! The signals that stop the server: SIGTERM (Kubernetes, systemd) and SIGINT (Ctrl-C).

use std::future::Future;

/// Listens for SIGTERM or SIGINT from now on, and returns a future of the first one's name.
///
/// The handlers are installed when this is called, not when the future is first polled: a
/// signal that comes between the two (while the gazetteers load, say) would otherwise meet the
/// default action and kill the process without a drain.
pub fn signal() -> impl Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
                    _ = terminate.recv() => "SIGTERM",
                    _ = interrupt.recv() => "SIGINT",
                },
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(
                        "cannot listen for SIGTERM or SIGINT ({e}); only Ctrl-C stops the server"
                    );
                    let _ = tokio::signal::ctrl_c().await;
                    "SIGINT"
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
