//! Where the service listens: a unix socket it binds (refused when a live service answers
//! there, a stale one replaced, mode 0660, group `berth` when that group exists), a unix
//! socket passed by systemd socket activation, or TCP with TLS and client certificates.

use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio_rustls::TlsAcceptor;

use crate::service::ServiceError;
use crate::tls::TlsFiles;

/// Where to listen.
#[derive(Debug)]
pub enum Listen {
    /// A unix socket at this path (made at start, removed at exit).
    Unix(PathBuf),
    /// A listening unix socket passed by socket activation (left in place at exit: it is
    /// the activator's).
    Activated(OwnedFd),
    /// TCP with TLS; clients must present a certificate signed by the CA.
    Tls {
        /// The address to bind.
        addr: SocketAddr,
        /// The CA, certificate and key.
        files: TlsFiles,
    },
}

impl Listen {
    /// How messages name it (`unix:///run/berth/berth.sock`, `tcp://127.0.0.1:2376`).
    pub fn describe(&self) -> String {
        match self {
            Listen::Unix(p) => format!("unix://{}", p.display()),
            Listen::Activated(_) => "the socket passed by socket activation".to_string(),
            Listen::Tls { addr, .. } => format!("tcp://{addr} (TLS, client certificates required)"),
        }
    }
}

/// The listening socket passed by socket activation (`LISTEN_FDS`, `LISTEN_PID`), if this
/// process was activated. Call it before the service starts threads. More than one passed
/// socket, or one that is not a listening unix stream socket, is an error.
pub fn activated() -> Result<Option<OwnedFd>, ServiceError> {
    let mut fds = berth_sys::activation::take_listen_fds().map_err(ServiceError::Activation)?;
    if fds.len() > 1 {
        return Err(ServiceError::Activation(std::io::Error::other(format!(
            "{} sockets were passed; the service listens on one",
            fds.len()
        ))));
    }
    let Some(fd) = fds.pop() else {
        return Ok(None);
    };
    let ok = berth_sys::activation::is_listening_unix_stream(fd.as_fd())
        .map_err(ServiceError::Activation)?;
    if !ok {
        return Err(ServiceError::Activation(std::io::Error::other(
            "the passed fd 3 is not a listening unix stream socket (ListenStream=/path)",
        )));
    }
    Ok(Some(fd))
}

/// A bound listener.
pub(crate) enum Listener {
    /// Unix socket; `remove` is the path to remove at exit (none when activated).
    Unix {
        listener: UnixListener,
        remove: Option<PathBuf>,
    },
    /// TCP; each connection's TLS handshake is done on its own task.
    Tls {
        listener: TcpListener,
        acceptor: TlsAcceptor,
    },
}

/// One accepted connection, before any TLS handshake.
pub(crate) enum Accepted {
    Unix(UnixStream),
    Tcp(TcpStream, SocketAddr, TlsAcceptor),
}

impl Listener {
    /// Binds (inside the runtime: the listeners register with its reactor).
    pub(crate) fn bind(listen: Listen) -> Result<Listener, ServiceError> {
        match listen {
            Listen::Unix(path) => Ok(Listener::Unix {
                listener: bind_unix(&path)?,
                remove: Some(path),
            }),
            Listen::Activated(fd) => {
                let l = std::os::unix::net::UnixListener::from(fd);
                l.set_nonblocking(true).map_err(ServiceError::Activation)?;
                Ok(Listener::Unix {
                    listener: UnixListener::from_std(l).map_err(ServiceError::Activation)?,
                    remove: None,
                })
            }
            Listen::Tls { addr, files } => {
                let acceptor = crate::tls::acceptor(&files)?;
                let err = |source| ServiceError::Listen {
                    what: "listen on",
                    place: format!("tcp://{addr}"),
                    source,
                };
                let l = std::net::TcpListener::bind(addr).map_err(err)?;
                l.set_nonblocking(true).map_err(err)?;
                Ok(Listener::Tls {
                    listener: TcpListener::from_std(l).map_err(err)?,
                    acceptor,
                })
            }
        }
    }

    /// The next connection.
    pub(crate) async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Unix { listener, .. } => Ok(Accepted::Unix(listener.accept().await?.0)),
            Listener::Tls { listener, acceptor } => {
                let (s, peer) = listener.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Accepted::Tcp(s, peer, acceptor.clone()))
            }
        }
    }

    /// Removes the socket file this service made (not an activator's).
    pub(crate) fn cleanup(&self) {
        if let Listener::Unix {
            remove: Some(p), ..
        } = self
        {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Listens on `path`: refuses when a live service answers there, replaces a stale socket,
/// makes the socket mode 0660 and `root:berth` when that group exists.
fn bind_unix(path: &Path) -> Result<UnixListener, ServiceError> {
    let err = |what| {
        move |source| ServiceError::Listen {
            what,
            place: path.display().to_string(),
            source,
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err("create the directory of"))?;
    }
    if path.symlink_metadata().is_ok() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(ServiceError::InUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(err("remove the stale socket"))?;
    }
    let listener = UnixListener::bind(path).map_err(err("listen on"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(err("set the mode of"))?;
    if let Ok(Some(group)) = nix::unistd::Group::from_name("berth") {
        nix::unistd::chown(path, Some(nix::unistd::Uid::from_raw(0)), Some(group.gid))
            .map_err(|e| err("set the owner of")(e.into()))?;
    }
    Ok(listener)
}
