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
    /// Reads the files into the server's TLS configuration; an error names the file.
    pub fn load(&self) -> Result<ServerTlsConfig, String> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let identity = Identity::from_pem(read(&self.cert)?, read(&self.key)?);
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca {
            config = config.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        Ok(config)
    }
}
