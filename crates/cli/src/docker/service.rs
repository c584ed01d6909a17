//! `system service`: serves the Docker Engine API (crates/api) until SIGTERM, SIGINT or
//! idle, on a unix socket, a socket passed by systemd socket activation, or TCP with TLS.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use berth_api::{Listen, TlsFiles};
use berth_engine::Paths;

use super::args::{Globals, SystemServiceArgs};

/// The socket's name in the run directory (`/run/berth/berth.sock` by default).
const SOCKET_NAME: &str = "berth.sock";

/// dockerd's port for TLS when a `tcp://` URI gives none.
const TLS_PORT: u16 = 2376;

/// `system service [--time SECONDS] [URI]`.
pub fn service(g: &Globals, a: SystemServiceArgs) -> anyhow::Result<i32> {
    let paths = Paths::new(g.root.as_deref());
    // Before any thread starts: taking the activation fds edits the environment.
    let activated = berth_api::listen::activated()?;
    let listen = match (activated, a.uri.as_deref()) {
        (Some(fd), uri) => {
            if let Some(uri) = uri.filter(|u| *u != "fd://") {
                eprintln!("berth: socket activation: using the passed socket, not {uri}");
            }
            Listen::Activated(fd)
        }
        (None, None) => Listen::Unix(paths.run.join(SOCKET_NAME)),
        (None, Some(uri)) => listen_on(uri, &a)?,
    };
    eprintln!(
        "berth: serving the Docker API on {} (whoever can connect to it is root on this machine)",
        listen.describe()
    );
    let exe = std::env::current_exe().context("find the berth binary")?;
    berth_api::serve(berth_api::ServiceOptions {
        paths,
        exe,
        listen,
        idle: (a.time > 0).then(|| Duration::from_secs(a.time)),
    })?;
    Ok(0)
}

/// Where a URI says to listen; `tcp://` needs TLS with client certificates.
fn listen_on(uri: &str, a: &SystemServiceArgs) -> anyhow::Result<Listen> {
    if let Some(p) = uri.strip_prefix("unix://") {
        if p.is_empty() {
            bail!("invalid URI {uri:?}: no socket path");
        }
        return Ok(Listen::Unix(PathBuf::from(p)));
    }
    if uri == "fd://" {
        bail!("{uri}: no socket was passed (LISTEN_FDS/LISTEN_PID): start the service from berth.socket, or give unix:///path");
    }
    if let Some(hostport) = uri.strip_prefix("tcp://") {
        let files = tls_files(uri, a)?;
        return Ok(Listen::Tls {
            addr: tcp_addr(hostport).with_context(|| format!("invalid URI {uri:?}"))?,
            files,
        });
    }
    bail!("invalid URI {uri:?}: expected unix:///path, tcp://HOST:PORT or fd://")
}

/// The TLS files, all required for `tcp://` (as dockerd's `--tlsverify`).
fn tls_files(uri: &str, a: &SystemServiceArgs) -> anyhow::Result<TlsFiles> {
    let mut missing = Vec::new();
    if !a.tlsverify {
        missing.push("--tlsverify");
    }
    let mut take = |p: &Option<PathBuf>, flag: &'static str| {
        if p.is_none() {
            missing.push(flag);
        }
        p.clone().unwrap_or_default()
    };
    let files = TlsFiles {
        ca: take(&a.tlscacert, "--tlscacert"),
        cert: take(&a.tlscert, "--tlscert"),
        key: take(&a.tlskey, "--tlskey"),
    };
    if !missing.is_empty() {
        bail!(
            "refusing to serve the API on {uri} without TLS client verification (missing {}): anyone who could connect would be root here; give --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY, or use a unix:// socket",
            missing.join(", ")
        );
    }
    Ok(files)
}

/// `HOST:PORT` (or `HOST`, port 2376) as a socket address.
fn tcp_addr(hostport: &str) -> anyhow::Result<SocketAddr> {
    let hostport = hostport.trim_end_matches('/');
    if hostport.is_empty() {
        bail!("no host");
    }
    let with_port = if hostport.rsplit_once(':').is_some_and(|(h, p)| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':')
    }) {
        hostport.to_string()
    } else {
        format!("{hostport}:{TLS_PORT}")
    };
    with_port
        .to_socket_addrs()
        .with_context(|| format!("resolve {with_port}"))?
        .next()
        .with_context(|| format!("{with_port} has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_addresses_parse() {
        assert_eq!(
            tcp_addr("127.0.0.1:2375").unwrap(),
            "127.0.0.1:2375".parse().unwrap()
        );
        assert_eq!(tcp_addr("127.0.0.1").unwrap().port(), TLS_PORT);
        assert_eq!(tcp_addr("[::1]:99").unwrap(), "[::1]:99".parse().unwrap());
        assert!(tcp_addr("").is_err());
        assert!(tcp_addr("127.0.0.1:notaport").is_err());
    }
}
