//! TLS for `tcp://` listening, as dockerd's `--tlsverify`: the service's certificate and key,
//! and a certificate required from every client, verified against the given CA (rustls with
//! the ring provider; PEM parsed by rustls-pki-types).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The files of `--tlscacert`, `--tlscert` and `--tlskey`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA that client certificates must be signed by.
    pub ca: PathBuf,
    /// The service's certificate (chain).
    pub cert: PathBuf,
    /// The service's private key.
    pub key: PathBuf,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds nothing usable.
    #[error("{what} {path}: {reason}")]
    File {
        /// What was being read.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// rustls refused the configuration (a key that does not match the certificate, ...).
    #[error("TLS configuration: {0}")]
    Config(String),
}

fn file_err(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        what,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The certificates of a PEM file (at least one).
fn certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = std::fs::read(path).map_err(|e| file_err(what, path, e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(what, path, format!("bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(file_err(what, path, "no CERTIFICATE in it"));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
fn key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let what = "read the TLS key";
    let pem = std::fs::read(path).map_err(|e| file_err(what, path, e))?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| file_err(what, path, format!("no private key: {e}")))
}

/// The server configuration: TLS 1.2 and 1.3 (ring), the service's certificate, and client
/// certificates required and verified against the CA.
pub fn server_config(files: &TlsFiles) -> Result<ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for c in certs("read the CA certificate", &files.ca)? {
        roots
            .add(c)
            .map_err(|e| file_err("use the CA certificate", &files.ca, e))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsError::Config(format!("client certificate verifier: {e}")))?;
    let chain = certs("read the TLS certificate", &files.cert)?;
    let key = key(&files.key)?;
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))
}

/// An acceptor for TLS connections with [`server_config`].
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, TlsError> {
    Ok(TlsAcceptor::from(Arc::new(server_config(files)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_clear_errors() {
        let dir = std::env::temp_dir().join(format!("berth-api-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not pem\n").unwrap();
        let files = TlsFiles {
            ca: dir.join("missing.pem"),
            cert: empty.clone(),
            key: empty.clone(),
        };
        let e = server_config(&files).unwrap_err().to_string();
        assert!(
            e.contains("read the CA certificate") && e.contains("missing.pem"),
            "{e}"
        );
        let files = TlsFiles {
            ca: empty.clone(),
            ..files
        };
        let e = server_config(&files).unwrap_err().to_string();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
