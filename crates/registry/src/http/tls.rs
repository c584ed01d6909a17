//! TLS settings for the HTTP agents: system roots (loaded once), per-host CA files and
//! client certificates.

use std::fs;
use std::sync::{Arc, OnceLock};

use ureq::tls::{Certificate, ClientCert, PemItem, RootCerts, TlsConfig};

use super::HostTls;
use crate::error::{Error, Result};

/// The system's root certificates, read once a process (empty when none could be read: then
/// only hosts with their own CA files can be reached over TLS, and the error says why).
pub fn system_roots() -> Arc<Vec<Certificate<'static>>> {
    static ROOTS: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            Arc::new(
                loaded
                    .certs
                    .iter()
                    .map(|c| Certificate::from_der(c.as_ref()).to_owned())
                    .collect(),
            )
        })
        .clone()
}

/// The TLS configuration for a host.
pub(super) fn config(host: &HostTls) -> Result<TlsConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let roots = if host.ca_files.is_empty() {
        system_roots()
    } else {
        let mut all: Vec<Certificate<'static>> = system_roots().as_ref().clone();
        for f in &host.ca_files {
            all.extend(read_pem(f)?.into_iter().filter_map(|i| match i {
                PemItem::Certificate(c) => Some(c),
                _ => None,
            }));
        }
        Arc::new(all)
    };
    let client = match &host.client_pair {
        None => None,
        Some((cert, key)) => {
            let chain: Vec<Certificate<'static>> = read_pem(cert)?
                .into_iter()
                .filter_map(|i| match i {
                    PemItem::Certificate(c) => Some(c),
                    _ => None,
                })
                .collect();
            let key_item = read_pem(key)?.into_iter().find_map(|i| match i {
                PemItem::PrivateKey(k) => Some(k),
                _ => None,
            });
            let Some(k) = key_item else {
                return Err(Error::BadConfig {
                    path: key.clone(),
                    reason: "holds no private key (PEM)".into(),
                });
            };
            if chain.is_empty() {
                return Err(Error::BadConfig {
                    path: cert.clone(),
                    reason: "holds no certificate (PEM)".into(),
                });
            }
            Some(ClientCert::new_with_certs(&chain, k))
        }
    };
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::Specific(roots))
        .client_cert(client)
        .build())
}

fn read_pem(path: &std::path::Path) -> Result<Vec<PemItem<'static>>> {
    let bytes = fs::read(path).map_err(|source| Error::Io {
        what: "read",
        path: path.to_path_buf(),
        source,
    })?;
    ureq::tls::parse_pem(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::BadConfig {
            path: path.to_path_buf(),
            reason: format!("not valid PEM: {e}"),
        })
}
