//! Health as Kubernetes probes it (`grpc.health.v1`): `liveness` is SERVING while the process
//! runs; `""` (the server) and `alam.v1.EntityExtractorService` are NOT_SERVING until the gazetteers
//! are loaded, SERVING then, and NOT_SERVING again from the moment shutdown begins, so that the
//! load balancer stops sending calls before the server stops taking them.

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::proto::entity_extractor_service_server::SERVICE_NAME;

/// The service name a liveness probe asks about.
pub const LIVENESS: &str = "liveness";

/// The named service first, the server (`""`) last: whoever sees `""` change (a probe, a test
/// waiting for readiness) then finds the named service already in the same state.
async fn set_readiness(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status(SERVICE_NAME, status).await;
    reporter.set_service_status("", status).await;
}

/// Alive, not ready: the gazetteers are loading.
pub async fn loading(reporter: &HealthReporter) {
    reporter
        .set_service_status(LIVENESS, ServingStatus::Serving)
        .await;
    set_readiness(reporter, ServingStatus::NotServing).await;
}

/// Ready: the gazetteers are loaded.
pub async fn ready(reporter: &HealthReporter) {
    set_readiness(reporter, ServingStatus::Serving).await;
}

/// Draining: shutdown has begun; calls are still answered for the drain delay.
pub async fn draining(reporter: &HealthReporter) {
    set_readiness(reporter, ServingStatus::NotServing).await;
}
