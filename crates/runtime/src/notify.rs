//! sd_notify through the runtime, as runc does it: when the runtime runs with
//! `NOTIFY_SOCKET` (a systemd service of `Type=notify`), `create` gives the container a
//! socket of its own (`<state dir>/notify/notify.sock`, bind-mounted read-only on
//! `/run/notify`, with `NOTIFY_SOCKET=/run/notify/notify.sock` in the process environment),
//! and `start` (so also `run`) listens on it and returns once the container sends `READY=1`
//! (or exits), passing `READY=1` and `MAINPID=<container pid>` on to the host's socket.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::{Path, PathBuf};
use std::time::Duration;

use oci_spec::runtime::{MountBuilder, Spec};

use crate::error::{Error, IoContext, Result};

/// The variable systemd sets for a notify service.
pub const ENV: &str = "NOTIFY_SOCKET";
/// The directory holding the container's socket, inside the state directory.
const DIR: &str = "notify";
/// The socket's name.
const SOCKET: &str = "notify.sock";
/// Where the directory is mounted in the container.
const IN_CONTAINER: &str = "/run/notify";

/// The host socket from the runtime's environment, if any (the runc CLI's source; the
/// library itself never reads the variable, so berth's engine is not affected by it).
pub fn host_socket() -> Option<String> {
    std::env::var(ENV).ok().filter(|s| !s.is_empty())
}

/// Prepares the container side in `create`: makes the directory under `state_dir` and adds
/// its read-only bind mount and `NOTIFY_SOCKET` to `spec`.
pub fn setup(spec: &mut Spec, state_dir: &Path) -> Result<()> {
    let dir = state_dir.join(DIR);
    std::fs::create_dir_all(&dir).ctx(|| format!("create {}", dir.display()))?;
    let mount = MountBuilder::default()
        .destination(IN_CONTAINER)
        .typ("bind")
        .source(&dir)
        .options(
            ["bind", "nosuid", "noexec", "nodev", "ro"]
                .map(String::from)
                .to_vec(),
        )
        .build()
        .map_err(|e| Error::Spec(format!("notify socket mount: {e}")))?;
    let mut mounts = spec.mounts().clone().unwrap_or_default();
    mounts.push(mount);
    spec.set_mounts(Some(mounts));
    if let Some(p) = spec.process_mut().as_mut() {
        let mut env = p.env().clone().unwrap_or_default();
        env.push(format!("{ENV}={IN_CONTAINER}/{SOCKET}"));
        p.set_env(Some(env));
    }
    Ok(())
}

/// The listening end in `start`, bound before the container is released so no message is
/// lost; `None` when the container was not created with a notify socket or the runtime has
/// no host socket to pass messages to.
pub struct Listener {
    socket: UnixDatagram,
    host: String,
}

impl Listener {
    /// Binds the container's socket (replacing a stale one) when both ends exist: `host`
    /// and the directory `create` made.
    pub fn bind(state_dir: &Path, host: Option<&str>) -> Result<Option<Listener>> {
        let dir = state_dir.join(DIR);
        let Some(host) = host.filter(|_| dir.is_dir()).map(String::from) else {
            return Ok(None);
        };
        let path: PathBuf = dir.join(SOCKET);
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).ctx(|| format!("bind {}", path.display()))?;
        // Any process in the container may send to it, whatever its uid.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))
            .ctx(|| format!("chmod {}", path.display()))?;
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .ctx(|| "notify socket timeout".into())?;
        Ok(Some(Listener { socket, host }))
    }

    /// Waits until the container sends `READY=...` (then tells the host, with the
    /// container's pid) or `alive` says it has exited.
    pub fn wait_ready(&self, pid: i32, alive: impl Fn() -> bool) -> Result<()> {
        let mut buf = [0u8; 4096];
        loop {
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    if let Some(line) = text.lines().find(|l| l.starts_with("READY=")) {
                        return self.tell_host(line, pid);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e).ctx(|| "read the notify socket".into()),
            }
            if !alive() {
                return Ok(());
            }
        }
    }

    fn tell_host(&self, ready: &str, pid: i32) -> Result<()> {
        let client = UnixDatagram::unbound().ctx(|| "notify socket".into())?;
        let addr = match self.host.strip_prefix('@') {
            Some(name) => SocketAddr::from_abstract_name(name.as_bytes()),
            None => SocketAddr::from_pathname(&self.host),
        }
        .ctx(|| format!("{ENV}={}", self.host))?;
        let msg = format!("{ready}\nMAINPID={pid}\n");
        client
            .send_to_addr(msg.as_bytes(), &addr)
            .ctx(|| format!("send to {ENV}={}", self.host))?;
        Ok(())
    }
}
