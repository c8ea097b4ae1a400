//! TLS for the gRPC port (rustls with the ring provider): `--tls-cert` and `--tls-key` serve
//! TLS; `--tls-client-ca` also requires every client to present a certificate signed by that CA
//! (mutual TLS). The handshakes are the server's own (`incoming.rs`), not tonic's, so that one
//! that fails — a client certificate refused, a plaintext client, a client that stalls — is
//! logged with the peer and the reason, and counted.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

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

/// The server's TLS configuration, read from [`TlsFiles`].
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) server: Arc<ServerConfig>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn", &self.server.alpn_protocols)
            .finish_non_exhaustive()
    }
}

impl TlsFiles {
    /// Reads the files into the server's TLS configuration; an error names the files and the
    /// reason.
    pub fn load(&self) -> Result<TlsConfig, String> {
        self.build()
            .map_err(|e| format!("{}: {e}", self.describe()))
    }

    fn build(&self) -> Result<TlsConfig, String> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let certificates = |path: &Path| -> Result<Vec<CertificateDer<'static>>, String> {
            let certs = CertificateDer::pem_slice_iter(&read(path)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("{} holds no PEM certificate", path.display()));
            }
            Ok(certs)
        };
        let chain = certificates(&self.cert)?;
        let key = PrivateKeyDer::from_pem_slice(&read(&self.key)?)
            .map_err(|e| format!("{}: no private key ({e})", self.key.display()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certificates(ca)? {
                    roots
                        .add(cert)
                        .map_err(|e| format!("{}: {e}", ca.display()))?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| format!("{}: {e}", ca.display()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut server = builder
            .with_single_cert(chain, key)
            .map_err(|e| e.to_string())?;
        // gRPC over HTTP/2; gRPC-Web and HTTP/JSON callers may speak HTTP/1.1.
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig {
            server: Arc::new(server),
        })
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
