//! TLS and mutual TLS on the gRPC port, with certificates made by the test (rcgen): a client
//! that trusts the server's CA gets answers over TLS; with `--tls-client-ca`, only a client
//! presenting a certificate signed by that CA does; plaintext, an untrusted server certificate,
//! no client certificate and a client certificate from another CA are all refused.

use std::net::SocketAddr;
use std::path::PathBuf;

use alam::proto::GetInfoRequest;
use alam::proto::entity_extractor_service_client::EntityExtractorServiceClient;
use alam::server::{Ops, TlsFiles};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::common::{InProcessServer, TempDir};

/// A certificate and its key, in PEM.
struct Pem {
    cert: String,
    key: String,
}

/// A CA that signs server and client certificates.
struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Authority { issuer }
    }

    fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf certificate for `names` (DNS names or IP addresses).
    fn sign(&self, names: &[&str]) -> Pem {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// Writes the server's certificate and key, and the CA its clients must be signed by if any, in
/// a temporary directory (removed when dropped): the files as `alam serve` takes them.
fn write_tls_files(server: &Pem, client_ca: Option<&str>) -> (TempDir, TlsFiles) {
    let dir = TempDir::new("tls");
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("server.pem"), &server.cert).unwrap();
    std::fs::write(path("server.key"), &server.key).unwrap();
    if let Some(ca) = client_ca {
        std::fs::write(path("client-ca.pem"), ca).unwrap();
    }
    let files = TlsFiles {
        cert: path("server.pem"),
        key: path("server.key"),
        client_ca: client_ca.map(|_| path("client-ca.pem")),
    };
    (dir, files)
}

/// Serves the default gazetteers over TLS with `files`; returns once the server is SERVING,
/// which the helper asks over a connection made with `client`.
async fn start_tls(files: &TlsFiles, client: ClientTlsConfig) -> InProcessServer {
    let ops = Ops {
        tls: Some(files.load().unwrap()),
        ..Ops::default()
    };
    InProcessServer::start_tls(ops, client).await
}

/// Connects to a SERVING server with `tls` (or in plaintext) and asks GetInfo once: the
/// gazetteer version, or why the connection or the call was refused.
async fn get_info(addr: SocketAddr, tls: Option<ClientTlsConfig>) -> Result<String, String> {
    let refused = |e: &dyn std::fmt::Debug| {
        eprintln!("refused: {e:?}");
        format!("{e:?}")
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Channel::from_shared(format!("{scheme}://{addr}")).unwrap();
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).map_err(|e| refused(&e))?;
    }
    let channel = endpoint.connect().await.map_err(|e| refused(&e))?;
    let info = EntityExtractorServiceClient::new(channel)
        .get_info(GetInfoRequest {})
        .await
        .map_err(|status| refused(&status))?;
    Ok(info.into_inner().gazetteer_version)
}

fn trusting(ca: &Authority) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca.cert_pem()))
        .domain_name("localhost")
}

fn with_identity(config: ClientTlsConfig, pem: &Pem) -> ClientTlsConfig {
    config.identity(Identity::from_pem(&pem.cert, &pem.key))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_answers_clients_that_trust_the_server() {
    let ca = Authority::new("alam test CA");
    let (_files, tls) = write_tls_files(&ca.sign(&["localhost"]), None);
    let server = start_tls(&tls, trusting(&ca)).await;

    let version = get_info(server.addr, Some(trusting(&ca))).await.unwrap();
    assert_eq!(version.len(), 16);
    assert!(
        get_info(server.addr, None).await.is_err(),
        "plaintext was answered"
    );
    let stranger = Authority::new("another CA");
    assert!(
        get_info(server.addr, Some(trusting(&stranger)))
            .await
            .is_err(),
        "a client trusting another CA connected"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_answers_only_clients_with_a_certificate_of_the_client_ca() {
    let server_ca = Authority::new("alam server CA");
    let client_ca = Authority::new("alam client CA");
    let (_files, tls) =
        write_tls_files(&server_ca.sign(&["localhost"]), Some(&client_ca.cert_pem()));
    let client = with_identity(trusting(&server_ca), &client_ca.sign(&["client.example"]));
    let server = start_tls(&tls, client.clone()).await;

    let answered = get_info(server.addr, Some(client)).await;
    assert_eq!(answered.unwrap().len(), 16);

    let refused = get_info(server.addr, Some(trusting(&server_ca))).await;
    assert!(
        refused.is_err(),
        "a client without a certificate was answered"
    );
    let rogue = Authority::new("rogue CA").sign(&["client.example"]);
    let refused = get_info(
        server.addr,
        Some(with_identity(trusting(&server_ca), &rogue)),
    )
    .await;
    assert!(
        refused.is_err(),
        "a client with a certificate of another CA was answered"
    );
    server.stop().await;
}

#[test]
fn a_missing_key_file_is_named() {
    let files = TlsFiles {
        cert: PathBuf::from("/nonexistent/server.pem"),
        key: PathBuf::from("/nonexistent/server.key"),
        client_ca: None,
    };
    let error = files.load().unwrap_err();
    assert!(error.contains("/nonexistent/server.pem"), "{error}");
}

/// A refused mutual-TLS handshake is logged with the peer and the reason, and counted.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_handshake_is_logged_and_counted() {
    let server_ca = Authority::new("alam server CA");
    let client_ca = Authority::new("alam client CA");
    let (_files, tls) =
        write_tls_files(&server_ca.sign(&["localhost"]), Some(&client_ca.cert_pem()));
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let (cert, key, ca) = (
        path(&tls.cert),
        path(&tls.key),
        path(tls.client_ca.as_ref().unwrap()),
    );
    let mut server = crate::common::ServerProcess::spawn(
        &[
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--tls-client-ca",
            &ca,
            "--metrics-addr",
            "127.0.0.1:0",
            "--drain-delay",
            "0s",
        ],
        &[],
    )
    .await;
    let metrics: SocketAddr = server.printed("alam: metrics on ").await.parse().unwrap();
    // No client certificate: refused.
    let refused = get_info(server.addr, Some(trusting(&server_ca))).await;
    assert!(
        refused.is_err(),
        "a client without a certificate was answered"
    );
    crate::common::eventually("the refused handshake is logged", async || {
        server.logged("TLS handshake failed") && server.logged("peer=127.0.0.1:")
    })
    .await;
    let body = crate::common::http_get(metrics, "/metrics").await.body;
    let failures: f64 = body
        .lines()
        .find_map(|line| line.strip_prefix("alam_tls_handshake_failures_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(failures >= 1.0, "{failures}");
    server.signal("TERM");
    assert!(server.wait().success());
}

/// `alam probe` asks a TLS server's health when told which CA to trust, with its own
/// certificate when the server requires one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_speaks_tls_and_mutual_tls() {
    let server_ca = Authority::new("alam server CA");
    let client_ca = Authority::new("alam client CA");
    let (dir, tls) = write_tls_files(&server_ca.sign(&["localhost"]), Some(&client_ca.cert_pem()));
    let client_pem = client_ca.sign(&["probe.example"]);
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    std::fs::write(path("server-ca.pem"), server_ca.cert_pem()).unwrap();
    std::fs::write(path("probe.pem"), &client_pem.cert).unwrap();
    std::fs::write(path("probe.key"), &client_pem.key).unwrap();
    let client = with_identity(trusting(&server_ca), &client_pem);
    let server = start_tls(&tls, client).await;

    let addr = server.addr.to_string();
    let probe = |extra: Vec<String>| {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_alam"))
                .args(["probe", "--addr", &addr, "--timeout", "5s"])
                .args(extra)
                .output()
                .unwrap()
        })
    };
    let trusted = vec![
        "--tls-ca".to_string(),
        path("server-ca.pem"),
        "--tls-server-name".to_string(),
        "localhost".to_string(),
    ];
    let mut with_certificate = trusted.clone();
    with_certificate.extend(["--tls-cert".to_string(), path("probe.pem")]);
    with_certificate.extend(["--tls-key".to_string(), path("probe.key")]);

    let output = probe(with_certificate).await.unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "SERVING");
    for refused in [trusted, Vec::new()] {
        let output = probe(refused.clone()).await.unwrap();
        assert_eq!(output.status.code(), Some(1), "{refused:?}: {output:?}");
    }
    server.stop().await;
}
