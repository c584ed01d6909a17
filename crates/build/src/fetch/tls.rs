//! TLS for `https://` sources: rustls with the ring provider, trusting the system's root
//! certificates loaded at run time (no compiled-in root table, which would add relocated
//! memory to every berth process, the per-container monitor included).

use std::net::TcpStream;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::error::FetchError;
use super::url::Url;

/// A TLS session over TCP.
pub(crate) type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// The client configuration, built on first use (reading the system store once a process).
static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// Runs the TLS handshake with `url`'s host over `tcp`, verifying its certificate.
pub(crate) fn handshake(url: &Url, mut tcp: TcpStream) -> Result<TlsStream, FetchError> {
    let tls_err = |reason: String| FetchError::Tls {
        url: url.to_string(),
        reason,
    };
    let config = config().map_err(tls_err)?;
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| tls_err(format!("invalid server name {:?}: {e}", url.host)))?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| tls_err(e.to_string()))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(|e| tls_err(format!("handshake with {}: {e}", url.authority())))?;
    }
    Ok(StreamOwned::new(conn, tcp))
}

/// The shared client configuration; an error when the system has no usable root certificate.
fn config() -> Result<Arc<ClientConfig>, String> {
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        let why = loaded
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(format!(
            "no root certificates found in the system store (install ca-certificates, or set \
             SSL_CERT_FILE){}{why}",
            if why.is_empty() { "" } else { ": " }
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| Arc::new(config)).clone())
}
