//! The gRPC service (`alam serve`): `alam.v1.EntityExtractorService` on tonic, with gRPC health for
//! Kubernetes probes, reflection (v1 and v1alpha) for grpcurl, and a graceful shutdown; on the
//! same port, gRPC-Web for browsers and HTTP/JSON for everyone else.
//!
//! A thin layer on the engine (`alam-engine`). Per file:
//!
//! - `serve.rs`: the server's life ([`serve_with_listener`], [`serve_with_ops`]): loading,
//!   readiness, drain and shutdown, and the side tasks of [`Ops`].
//! - `call.rs`: the per-call concerns as one tower layer: request id, call log, metrics,
//!   in-flight count, timeout. Handlers never see them.
//! - `service.rs`: the handlers, message → engine → message, with `convert.rs` (messages),
//!   `extraction.rs` (the limits of a request), `paging.rs` and `offload.rs` (CPU work off the
//!   reactor).
//! - `status.rs`: the one place where failures become gRPC statuses.
//! - `gateway.rs`: HTTP/JSON routes from the proto's `google.api.http` options, transcoded to
//!   gRPC calls through the same stack; `openapi.rs`: their OpenAPI document.
//! - `slot.rs`: the extractor serving now, swapped whole by `reload.rs` (SIGHUP, `--watch`).
//! - `metrics.rs` (Prometheus, on their own port), `logging.rs`, `telemetry.rs` (OpenTelemetry
//!   spans and their export), `health.rs`, `tls.rs`, `shutdown.rs`.
//!
//! Concurrency: `--concurrency-limit` applies per connection (tonic's limit with load
//! shedding), so a caller over it gets RESOURCE_EXHAUSTED at once rather than a queue.

mod call;
mod convert;
mod extraction;
mod gateway;
mod health;
mod incoming;
mod logging;
mod metrics;
mod offload;
mod openapi;
mod paging;
mod process;
mod reload;
mod serve;
mod service;
mod shutdown;
mod slot;
mod status;
mod telemetry;
mod tls;

pub use logging::LogFormat;
pub use reload::ReloadConfig;
pub use serve::{
    LoadError, Ops, ServeConfig, ServeError, default_max_inflight_text_bytes,
    default_max_message_bytes, serve_with_listener, serve_with_ops,
};
pub use shutdown::signal as shutdown_signal;
pub use telemetry::{Telemetry, init as init_telemetry};
pub use tls::{TlsConfig, TlsFiles, error_chain};
