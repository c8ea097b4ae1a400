//! `alam probe`: asks a server's gRPC health whether it is SERVING, and says so in the exit
//! status (0 serving, 1 not), for a container HEALTHCHECK with no shell in the image, or a probe
//! where the orchestrator has no native gRPC probe.

use std::process::ExitCode;
use std::time::Duration;

use tonic::transport::Endpoint;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use alam::server::error_chain;

use super::values::Span;

/// The flags of `alam probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// The server's gRPC address (plaintext).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "ALAM_PROBE_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    addr: String,
    /// The service asked about: "" for the server as a whole, "liveness" for liveness, or
    /// alam.v1.EntityExtractorService.
    #[arg(long, value_name = "NAME", default_value = "")]
    service: String,
    /// How long to wait for the answer, connecting included.
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    timeout: Span,
}

/// Runs `alam probe`: prints the status (or why there is none) and exits 0 when SERVING.
pub fn run(args: ProbeArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("alam: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let limit = args.timeout.0;
    match runtime.block_on(async { tokio::time::timeout(limit, check(&args)).await }) {
        Ok(Ok(ServingStatus::Serving)) => {
            println!("SERVING");
            ExitCode::SUCCESS
        }
        Ok(Ok(status)) => {
            println!("{}", status.as_str_name());
            ExitCode::from(1)
        }
        Ok(Err(e)) => {
            eprintln!("alam: {}: {e}", args.addr);
            ExitCode::from(1)
        }
        Err(_) => {
            eprintln!(
                "alam: {}: no answer within {} (--timeout)",
                args.addr, args.timeout
            );
            ExitCode::from(1)
        }
    }
}

async fn check(args: &ProbeArgs) -> Result<ServingStatus, String> {
    let endpoint = Endpoint::from_shared(format!("http://{}", args.addr))
        .map_err(|e| format!("not an address: {e}"))?
        .connect_timeout(Duration::from_secs(1));
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("cannot connect: {}", error_chain(&e)))?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: args.service.clone(),
        })
        .await
        .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?;
    Ok(ServingStatus::try_from(answer.into_inner().status).unwrap_or(ServingStatus::Unknown))
}
