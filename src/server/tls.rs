//! TLS for the gRPC port (rustls with the ring provider): `--tls-cert` and `--tls-key` serve
//! TLS; `--tls-client-ca` also requires every client to present a certificate signed by that CA
//! (mutual TLS).

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// The PEM files of the TLS flags.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The server's certificate chain.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
    /// The CA that signs client certificates; `None` for TLS without client certificates.
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// Reads the files into the server's TLS configuration and checks that rustls takes it; an
    /// error names the files and the reason.
    pub fn load(&self) -> Result<ServerTlsConfig, String> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let identity = Identity::from_pem(read(&self.cert)?, read(&self.key)?);
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca {
            config = config.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        // rustls parses the PEM here; its error alone would not say which files it read.
        tonic::transport::Server::builder()
            .tls_config(config.clone())
            .map_err(|e| format!("{}: {}", self.describe(), error_chain(&e)))?;
        Ok(config)
    }

    fn describe(&self) -> String {
        let mut files = format!(
            "TLS with certificate {} and key {}",
            self.cert.display(),
            self.key.display()
        );
        if let Some(ca) = &self.client_ca {
            files.push_str(&format!(" and client CA {}", ca.display()));
        }
        files
    }
}

/// An error and its sources, as one line: `a: b: c` (tonic's transport errors say only
/// "transport error" until their sources are read).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        line.push_str(&format!(": {e}"));
        source = e.source();
    }
    line
}
