//! `alam probe`: asks a server's gRPC health whether it is SERVING, and says so in the exit
//! status (0 serving, 1 not), for a container HEALTHCHECK with no shell in the image, or a probe
//! where the orchestrator has no native gRPC probe.

use std::process::ExitCode;
use std::time::Duration;

use std::path::PathBuf;

use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use alam::server::error_chain;

use super::values::Span;

/// The flags of `alam probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// The server's gRPC address.
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
    /// Speak TLS, trusting the server's certificate if this CA (PEM) signed it.
    #[arg(long, value_name = "FILE", env = "ALAM_PROBE_TLS_CA")]
    tls_ca: Option<PathBuf>,
    /// The name the server's certificate must carry; by default the host of --addr.
    #[arg(long, value_name = "NAME", requires = "tls_ca")]
    tls_server_name: Option<String>,
    /// The probe's own certificate (PEM), for a server that requires client certificates;
    /// needs --tls-key.
    #[arg(long, value_name = "FILE", requires_all = ["tls_ca", "tls_key"], env = "ALAM_PROBE_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert",
        env = "ALAM_PROBE_TLS_KEY"
    )]
    tls_key: Option<PathBuf>,
}

impl ProbeArgs {
    /// The TLS configuration the flags ask for, if any; an error names the file it could not read.
    fn tls(&self) -> Result<Option<ClientTlsConfig>, String> {
        let Some(ca) = &self.tls_ca else {
            return Ok(None);
        };
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(ca)?));
        let name = match &self.tls_server_name {
            Some(name) => name.clone(),
            None => self
                .addr
                .rsplit_once(':')
                .map_or(self.addr.as_str(), |(host, _)| host)
                .trim_matches(['[', ']'])
                .to_string(),
        };
        config = config.domain_name(name);
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        Ok(Some(config))
    }
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
    let tls = args.tls()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{}", args.addr))
        .map_err(|e| format!("not an address: {e}"))?
        .connect_timeout(Duration::from_secs(1));
    if let Some(tls) = tls {
        endpoint = endpoint
            .tls_config(tls)
            .map_err(|e| format!("TLS: {}", error_chain(&e)))?;
    }
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
