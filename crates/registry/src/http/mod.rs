//! The one HTTP client berth uses (registries and Dockerfile `ADD <url>`): ureq over rustls
//! with the ring provider, trusting the system's root certificates (read at run time, once a
//! process) plus, per registry host, the CA files and client certificate Docker and podman read
//! from `certs.d`. Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`.

mod tls;

use std::path::PathBuf;
use std::time::Duration;

use ureq::config::Config;

pub use tls::system_roots;

use crate::error::Result;

/// What berth says it is.
pub const USER_AGENT: &str = concat!("berth/", env!("CARGO_PKG_VERSION"));

/// How a connection to one host is made.
#[derive(Debug, Clone, Default)]
pub struct HostTls {
    /// Extra CA certificate files (PEM) trusted for this host besides the system's roots.
    pub ca_files: Vec<PathBuf>,
    /// A client certificate chain and its key (PEM files).
    pub client_pair: Option<(PathBuf, PathBuf)>,
}

/// Timeouts: a connection must open within [`CONNECT_TIMEOUT`], and a response that sends
/// nothing for [`STALL_TIMEOUT`] is a stalled one.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// See [`CONNECT_TIMEOUT`].
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// An agent (connection pool) for requests to hosts that need no TLS files of their own.
pub fn agent() -> Result<ureq::Agent> {
    agent_for(&HostTls::default(), 10)
}

/// An agent for one host with its TLS files; `max_redirects` 0 turns redirects off.
pub fn agent_for(host: &HostTls, max_redirects: u32) -> Result<ureq::Agent> {
    let tls = tls::config(host)?;
    let config = Config::builder()
        .http_status_as_error(false)
        .user_agent(USER_AGENT)
        .tls_config(tls)
        .max_redirects(max_redirects)
        .max_redirects_will_error(true)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(STALL_TIMEOUT))
        .timeout_per_write(Some(STALL_TIMEOUT))
        .max_idle_connections_per_host(16)
        .build();
    Ok(config.new_agent())
}

/// A one-line description of a transport error, without URL credentials.
pub fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "no such host".into(),
        ureq::Error::ConnectionFailed => "connection refused".into(),
        ureq::Error::TooManyRedirects => "too many redirects (a redirect loop?)".into(),
        other => other.to_string(),
    }
}
