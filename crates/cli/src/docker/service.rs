//! `system service`: serves the Docker Engine API (crates/api) until SIGTERM or idle.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use berth_engine::Paths;

use super::args::{Globals, SystemServiceArgs};

/// The socket's name in the run directory (`/run/berth/berth.sock` by default).
const SOCKET_NAME: &str = "berth.sock";

/// `system service [--time SECONDS] [URI]`.
pub fn service(g: &Globals, a: SystemServiceArgs) -> anyhow::Result<i32> {
    let paths = Paths::new(g.root.as_deref());
    let socket = match a.uri.as_deref() {
        None => paths.run.join(SOCKET_NAME),
        Some(uri) => listen_path(uri, &a)?,
    };
    eprintln!(
        "berth: serving the Docker API on unix://{} (access to this socket is root access to this machine)",
        socket.display()
    );
    let exe = std::env::current_exe().context("find the berth binary")?;
    berth_api::serve(berth_api::ServiceOptions {
        paths,
        exe,
        socket,
        idle: (a.time > 0).then(|| Duration::from_secs(a.time)),
    })?;
    Ok(0)
}

/// The unix socket path a URI names; `tcp://` needs TLS with client certificates.
fn listen_path(uri: &str, a: &SystemServiceArgs) -> anyhow::Result<PathBuf> {
    if let Some(p) = uri.strip_prefix("unix://") {
        if p.is_empty() {
            bail!("invalid URI {uri:?}: no socket path");
        }
        return Ok(PathBuf::from(p));
    }
    if uri.starts_with("tcp://") {
        let tls = a.tlsverify && a.tlscacert.is_some() && a.tlscert.is_some() && a.tlskey.is_some();
        if !tls {
            bail!("refusing to serve the API on {uri} without TLS: anyone who can connect would be root here; give --tlsverify --tlscacert --tlscert --tlskey, or use a unix:// socket");
        }
        bail!("serving on tcp:// is not supported yet: use a unix:// socket");
    }
    bail!("invalid URI {uri:?}: expected unix:///path or tcp://host:port")
}
