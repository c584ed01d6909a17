//! `exec`: another process in a running container, through the runtime. In the foreground
//! the runtime waits for it ([`Engine::exec_in`]); for a terminal the caller starts it with
//! [`Engine::exec_start`], which receives the pty master over a console socket, and relays
//! stdio itself.

use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use berth_runtime::ops::exec::{exec, ExecOptions};

use crate::containers::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};

/// What `berth exec` asks for.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    /// Command and arguments.
    pub args: Vec<String>,
    /// Extra `KEY=value` environment.
    pub env: Vec<String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// user[:group] (names looked up in the container).
    pub user: Option<String>,
    /// Run in the background.
    pub detach: bool,
    /// Terminal (via a console socket the caller listens on).
    pub tty: bool,
    /// The console socket for `tty`.
    pub console_socket: Option<std::path::PathBuf>,
    /// All capabilities.
    pub privileged: bool,
    /// The terminal size (rows, columns) for `tty`.
    pub console_size: Option<(u16, u16)>,
}

/// An exec process started in the background of this process (it is our child).
#[derive(Debug)]
pub struct StartedExec {
    /// Its host pid.
    pub pid: i32,
    /// The master side of its terminal (with `tty`).
    pub master: Option<OwnedFd>,
}

impl Engine {
    /// Runs a process in a running container; returns its exit code (0 when detached).
    pub fn exec_in(&self, r: &ContainerRecord, req: &ExecRequest) -> Result<i32> {
        let o = self.exec_options(r, req)?;
        self.container_event(r, &format!("exec_start: {}", req.args.join(" ")));
        exec(&self.runtime(), &o).map_err(classify)
    }

    /// Starts a process in a running container without waiting for it: it stays a child of
    /// this process (reap it with [`wait_exec`]). With `req.tty` its terminal is made by the
    /// runtime and the master end received here over a temporary console socket.
    pub fn exec_start(&self, r: &ContainerRecord, req: &ExecRequest) -> Result<StartedExec> {
        let dir =
            self.paths
                .run
                .join("exec")
                .join(format!("{}-{}", std::process::id(), r.short_id()));
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        let _cleanup = RemoveDir(dir.clone());
        let pid_file = dir.join("pid");
        let socket = dir.join("c");
        let listener = if req.tty {
            Some(UnixListener::bind(&socket).map_err(io_err("listen on console socket", &socket))?)
        } else {
            None
        };
        let mut o = self.exec_options(
            r,
            &ExecRequest {
                detach: true,
                ..req.clone()
            },
        )?;
        o.pid_file = Some(pid_file.clone());
        if req.tty {
            o.console_socket = Some(socket.clone());
        }
        self.container_event(r, &format!("exec_start: {}", req.args.join(" ")));
        let started = exec(&self.runtime(), &o).map_err(classify);
        // The runtime joined the container's pid namespace for our children; threads cannot
        // be made until this thread is back in its own (the caller relays stdio on threads).
        restore_pid_namespace()?;
        started?;
        let pid = read_pid(&pid_file)?;
        let master = match listener {
            Some(l) => {
                // The runtime connected and sent the master before the process ran.
                l.set_nonblocking(true)
                    .map_err(io_err("configure console socket", &socket))?;
                let (conn, _) = l
                    .accept()
                    .map_err(io_err("accept on console socket", &socket))?;
                Some(
                    recv_fd(&conn)
                        .map_err(|e| io_err("receive the pty master from", &socket)(e.into()))?,
                )
            }
            None => None,
        };
        Ok(StartedExec { pid, master })
    }

    /// The runtime's options for `req`.
    fn exec_options(&self, r: &ContainerRecord, req: &ExecRequest) -> Result<ExecOptions> {
        let s = self.state(r);
        if s.status == "paused" {
            return Err(Error::Conflict(format!(
                "Container {} is paused, unpause the container before exec",
                r.id
            )));
        }
        if !s.is_running() {
            return Err(Error::Conflict(format!(
                "Container {} is not running",
                r.id
            )));
        }
        let user = match &req.user {
            Some(u) => {
                let rootfs = self.paths.container(&r.id).join("rootfs");
                let eu = crate::spec::users::resolve_user(&rootfs, u, &[])?;
                Some(format!("{}:{}", eu.uid, eu.gid))
            }
            None => None,
        };
        let mut env = req.env.clone();
        if req.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
            env.push("TERM=xterm".into());
        }
        Ok(ExecOptions {
            id: r.id.clone(),
            process_file: None,
            args: req.args.clone(),
            tty: req.tty,
            cwd: req.workdir.as_ref().map(Into::into),
            env,
            user,
            additional_gids: Vec::new(),
            no_new_privs: false,
            caps: if req.privileged {
                crate::spec::ALL_CAPS
                    .iter()
                    .map(|c| format!("CAP_{c}"))
                    .collect()
            } else {
                Vec::new()
            },
            detach: req.detach,
            console_size: req.console_size,
            pid_file: None,
            console_socket: req.console_socket.clone(),
            preserve_fds: 0,
        })
    }
}

/// Waits for a process started by [`Engine::exec_start`]; its exit code (128+signal when
/// killed, as a shell reports it).
pub fn wait_exec(pid: i32) -> Result<i32> {
    use nix::sys::wait::{waitpid, WaitStatus};
    let target = nix::unistd::Pid::from_raw(pid);
    loop {
        match waitpid(target, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                return Err(io_err("wait for exec process", format!("pid {pid}"))(
                    e.into(),
                ))
            }
        }
    }
}

/// Maps the runtime's exec errors to Docker's exit-code classes (127 not found, 126 cannot
/// execute).
fn classify(e: berth_runtime::Error) -> Error {
    let msg = e.to_string();
    let lower = msg.to_ascii_lowercase();
    if lower.contains("not found") || lower.contains("no such file") {
        Error::CommandNotFound(format!("OCI runtime exec failed: {msg}"))
    } else if lower.contains("permission denied") {
        Error::CannotExecute(format!("OCI runtime exec failed: {msg}"))
    } else {
        Error::Runtime(e)
    }
}

/// Points this thread's children back at its own pid namespace.
fn restore_pid_namespace() -> Result<()> {
    let own = fs::File::open("/proc/self/ns/pid").map_err(io_err("open", "/proc/self/ns/pid"))?;
    nix::sched::setns(&own, nix::sched::CloneFlags::CLONE_NEWPID)
        .map_err(|e| io_err("rejoin the pid namespace", "/proc/self/ns/pid")(e.into()))
}

fn read_pid(path: &Path) -> Result<i32> {
    let text = fs::read_to_string(path).map_err(io_err("read", path))?;
    text.trim()
        .parse()
        .map_err(|_| Error::Invalid(format!("{}: not a pid: {text:?}", path.display())))
}

/// Receives one fd sent with SCM_RIGHTS (the pty master, as runc's console socket does).
fn recv_fd(
    sock: &std::os::unix::net::UnixStream,
) -> std::result::Result<OwnedFd, nix::errno::Errno> {
    let mut buf = [0u8; 256];
    let (_, fd) = berth_sys::misc::recv_with_fd(sock.as_fd(), &mut buf)?;
    fd.ok_or(nix::errno::Errno::EBADMSG)
}

/// Removes a directory when dropped.
struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
